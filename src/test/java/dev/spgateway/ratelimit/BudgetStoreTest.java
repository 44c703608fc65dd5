package dev.spgateway.ratelimit;

import static dev.spgateway.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The same arithmetic in memory and in Redis (the Lua script), on a simulated clock: each case runs
 * against both stores.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BudgetStoreTest {

  static final long START = 1_800_000_000_000_000L; // µs since the epoch, in 2027
  static final long SECOND = 1_000_000;
  static final long HOUR = 3_600 * SECOND;

  RedisServer redisServer;
  Vertx vertx;
  RedisBudgetStore redis;

  @BeforeAll
  void startRedis() {
    redisServer = RedisServer.start();
    vertx = Vertx.vertx();
    redis = new RedisBudgetStore(vertx, new RateLimitConfig.Redis(redisServer.url(), Duration.ofSeconds(2), null));
  }

  @AfterAll
  void stop() {
    await(vertx.close());
    redisServer.close();
  }

  Stream<BudgetStore> stores() {
    return Stream.of(new LocalBudgetStore(), redis);
  }

  /** Fresh keys per case: the Redis server is shared by all of them. */
  static String unique(String name) {
    return name + ":" + UUID.randomUUID();
  }

  @ParameterizedTest
  @MethodSource("stores")
  void tenPerSecondWithBurstTwentyLetsTwentyThroughAtOnceThenTenPerSecond(BudgetStore store) {
    var rate = Limit.Rate.perSecond("caller-rate", unique("rate"), 10, 20);
    String hold = unique("hold");
    int instant = 0;
    for (int i = 0; i < 30; i++) if (take(store, hold, List.of(rate), 1, START).allowed()) instant++;
    assertThat(instant).isEqualTo(20);

    Verdict refused = take(store, hold, List.of(rate), 1, START);
    assertThat(refused.refusedBy()).isEqualTo("caller-rate");
    assertThat(refused.retryAfterMicros()).isEqualTo(100_000); // the next token, 1/10 s away

    // Then a request every 10 ms for 10 simulated seconds: about 10 a second get through.
    int later = 0;
    for (long t = START + 10_000; t <= START + 10 * SECOND; t += 10_000) {
      if (take(store, hold, List.of(rate), 1, t).allowed()) later++;
    }
    assertThat(later).isEqualTo(100);
  }

  @ParameterizedTest
  @MethodSource("stores")
  void dailyQuotaHoldsOverEveryTwentyFourHoursOfASimulatedDay(BudgetStore store) {
    var day = new Limit.Quota("caller-day", unique("day"), 1_000, Limit.Quota.DAY_MICROS);
    String hold = unique("hold");
    // A request attempt every 30 s for three simulated days; remember when each allowed one went through.
    ArrayDeque<Long> allowed = new ArrayDeque<>();
    int total = 0;
    int maxInAnyDay = 0;
    for (long t = START; t < START + 72 * HOUR; t += 30 * SECOND) {
      Verdict verdict = take(store, hold, List.of(day), 1, t);
      if (!verdict.allowed()) {
        assertThat(verdict.refusedBy()).isEqualTo("caller-day");
        assertThat(verdict.retryAfterMicros()).isPositive().isLessThanOrEqualTo(25 * HOUR);
        continue;
      }
      total++;
      allowed.addLast(t);
      while (allowed.peekFirst() <= t - 24 * HOUR) allowed.removeFirst();
      maxInAnyDay = Math.max(maxInAnyDay, allowed.size());
    }
    assertThat(maxInAnyDay).isEqualTo(1_000);
    // Three days of budget, less what the hour buckets hold back: each day's budget comes back within 25 h.
    assertThat(total).isBetween(2_800, 3_000);
  }

  @ParameterizedTest
  @MethodSource("stores")
  void aRefusalByOneLimitSpendsNoneOfTheOthers(BudgetStore store) {
    var rate = Limit.Rate.perSecond("caller-rate", unique("rate"), 1, 5);
    var spDay = new Limit.Quota("service-principal-day", unique("sp"), 3, Limit.Quota.DAY_MICROS);
    String hold = unique("hold");
    for (int i = 0; i < 3; i++) assertThat(take(store, hold, List.of(rate, spDay), 1, START).allowed()).isTrue();
    Verdict refused = take(store, hold, List.of(rate, spDay), 1, START);
    assertThat(refused.refusedBy()).isEqualTo("service-principal-day");
    assertThat(refused.standings()).extracting(Verdict.Standing::remaining).containsExactly(2L, 0L);
    // The caller's rate still has its 2 left, for another service principal.
    var other = new Limit.Quota("service-principal-day", unique("sp"), 100, Limit.Quota.DAY_MICROS);
    assertThat(take(store, hold, List.of(rate, other), 2, START).allowed()).isTrue();
    assertThat(take(store, hold, List.of(rate, other), 1, START).refusedBy()).isEqualTo("caller-rate");
  }

  @ParameterizedTest
  @MethodSource("stores")
  void aBatchCountsEachPartAndOneLargerThanTheBurstCanNeverPass(BudgetStore store) {
    var rate = Limit.Rate.perSecond("caller-rate", unique("rate"), 10, 20);
    String hold = unique("hold");
    Verdict batch = take(store, hold, List.of(rate), 15, START);
    assertThat(batch.allowed()).isTrue();
    assertThat(batch.standings().get(0).remaining()).isEqualTo(5);
    assertThat(take(store, hold, List.of(rate), 6, START).retryAfterMicros()).isEqualTo(100_000);
    assertThat(take(store, hold, List.of(rate), 21, START + HOUR).retryAfterMicros()).isEqualTo(Verdict.NEVER);
  }

  @ParameterizedTest
  @MethodSource("stores")
  void aHoldRefusesUntilItEndsAndTheLongestHoldWins(BudgetStore store) {
    var rate = Limit.Rate.perSecond("caller-rate", unique("rate"), 10, 20);
    String hold = unique("hold");
    await(store.hold(hold, START, START + 5 * SECOND));
    await(store.hold(hold, START, START + 2 * SECOND)); // shorter: ignored
    Verdict held = take(store, hold, List.of(rate), 1, START + SECOND);
    assertThat(held.refusedBy()).isEqualTo(Verdict.UPSTREAM_HOLD);
    assertThat(held.retryAfterMicros()).isEqualTo(4 * SECOND);
    assertThat(held.standings().get(0).remaining()).isEqualTo(20); // nothing spent while held
    assertThat(take(store, hold, List.of(rate), 1, START + 5 * SECOND).allowed()).isTrue();
  }

  static Verdict take(BudgetStore store, String hold, List<Limit> limits, int cost, long now) {
    return await(store.take(hold, limits, cost, now));
  }
}
