package dev.spgateway.ratelimit;

import static dev.spgateway.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.testing.MutableClock;
import dev.spgateway.testing.TeeStream;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A slow Redis is not a lost one. Slowness is real: {@code CLIENT PAUSE ... WRITE} holds every client's
 * scripts inside a real redis-server until {@code CLIENT UNPAUSE}, as a stalled Redis would.
 */
class RedisBlipTest {

  static final String PATH = "/graph/v1.0/users";

  @TempDir Path dir;
  final MutableClock clock = new MutableClock(Instant.parse("2027-03-01T09:00:00Z"));
  final ByteArrayOutputStream log = new ByteArrayOutputStream();
  final List<LimitedGateway> gateways = new ArrayList<>();
  PrintStream originalErr;
  RedisServer redis;

  @BeforeEach
  void start() {
    originalErr = System.err;
    System.setErr(new PrintStream(new TeeStream(originalErr, log), true));
    redis = RedisServer.start();
  }

  @AfterEach
  void stop() {
    gateways.forEach(LimitedGateway::close);
    redis.close();
    System.setErr(originalErr);
  }

  /** Requests queued behind one stall time out together: they are one failure, not an outage. */
  @Test
  void requestsTimingOutTogetherAreNotAnOutage() {
    LimitedGateway gateway = gateway("{ perDay: 1000 }", "timeout: 200ms, onUnavailable: deny");
    assertThat(await(gateway.get(PATH)).statusCode()).isEqualTo(200);

    assertThat(redis.command("CLIENT", "PAUSE", "60000", "WRITE")).isEqualTo("+OK");
    List<Future<HttpResponse<Buffer>>> stalled = new ArrayList<>();
    for (int i = 0; i < 5; i++) stalled.add(gateway.get(PATH)); // all at once: the test's client has 5 connections
    await(Future.join(stalled));
    assertThat(stalled).allSatisfy(call -> assertThat(call.result().statusCode()).isEqualTo(503));
    assertThat(redis.command("CLIENT", "UNPAUSE")).isEqualTo("+OK");

    // No outage was declared: the very next request asks Redis again, and gets through.
    assertThat(await(gateway.get(PATH)).statusCode()).isEqualTo(200);
    assertThat(occurrences(RedisOutageTest.LOST)).isZero();
    assertThat(gateway.metric("gateway_ratelimit_store_up")).isEqualTo(1);
    assertThat(gateway.metric("gateway_ratelimit_store_unavailable_total")).isEqualTo(5);
  }

  /** Only failures in a row, each of a request sent after the last one failed, declare an outage. */
  @Test
  void anOutageIsDeclaredAfterConsecutiveFailuresAndEndsWithTheFirstSuccess() {
    LimitedGateway gateway = gateway("{ perDay: 1000 }", "timeout: 200ms, onUnavailable: deny, failuresBeforeOutage: 3");
    assertThat(redis.command("CLIENT", "PAUSE", "60000", "WRITE")).isEqualTo("+OK");
    assertThat(await(gateway.get(PATH)).statusCode()).isEqualTo(503);
    assertThat(await(gateway.get(PATH)).statusCode()).isEqualTo(503);
    assertThat(occurrences(RedisOutageTest.LOST)).isZero();
    assertThat(gateway.metric("gateway_ratelimit_store_up")).isEqualTo(1);
    assertThat(await(gateway.get(PATH)).statusCode()).isEqualTo(503);
    assertThat(occurrences(RedisOutageTest.LOST)).isEqualTo(1);
    assertThat(log.toString(StandardCharsets.UTF_8)).contains("3 times in a row");
    assertThat(gateway.metric("gateway_ratelimit_store_up")).isZero();

    assertThat(redis.command("CLIENT", "UNPAUSE")).isEqualTo("+OK");
    clock.advance(Duration.ofSeconds(1)); // the next probe is due
    assertThat(await(gateway.get(PATH)).statusCode()).isEqualTo(200);
    assertThat(occurrences(RedisOutageTest.BACK)).isEqualTo(1);
    assertThat(gateway.upstream.requests()).isEqualTo(1);
  }

  /**
   * With Redis gone, a gateway spends at most its share (perDay ÷ replicas) and counts what it already
   * spent through Redis: 100 shared, then 400 more of its 500, then 429 caller-day.
   */
  @Test
  void withoutRedisAGatewaySpendsOnlyItsShareOfTheBudget() {
    LimitedGateway gateway = gateway("{ perDay: 1000 }", "replicas: 2");
    for (int i = 0; i < 100; i++) assertThat(await(gateway.get(PATH)).statusCode()).isEqualTo(200);
    redis.kill();
    int allowed = 0;
    for (int round = 0; round < 6; round++) {
      List<Future<HttpResponse<Buffer>>> calls = new ArrayList<>();
      for (int i = 0; i < 100; i++) calls.add(gateway.get(PATH));
      await(Future.join(calls));
      for (var call : calls) {
        if (call.result().statusCode() == 200) allowed++;
        else assertThat(call.result().bodyAsJsonObject().getString("type")).isEqualTo("urn:sp-gateway:problem:caller-day");
      }
    }
    assertThat(allowed).isEqualTo(400);
    assertThat(gateway.upstream.requests()).isEqualTo(500);
  }

  /**
   * The case: two gateways share one Redis on a machine whose cores are all busy, and a caller with
   * 1,000 a day sends 1,500. With the old 50 ms timeout and a fresh local budget per blip, 1,324 got through.
   */
  @Test
  void twoGatewaysUnderCpuContentionLetThroughTheDailyBudgetWithinOnePercent() throws Exception {
    LimitedGateway a = gateway("{ perDay: 1000 }", "replicas: 2");
    LimitedGateway b = gateway("{ perDay: 1000 }", "replicas: 2");
    AtomicBoolean busy = new AtomicBoolean(true);
    List<Thread> hogs = new ArrayList<>();
    for (int i = 0; i < 2 * Runtime.getRuntime().availableProcessors(); i++) {
      Thread hog = new Thread(() -> {
        long spin = 0;
        while (busy.get()) spin += System.nanoTime() % 7;
        if (spin == 42) System.out.print(""); // keeps the loop from being optimised away
      }, "cpu-hog-" + i);
      hog.setDaemon(true);
      hog.start();
      hogs.add(hog);
    }
    int allowed = 0;
    int refused = 0;
    try {
      for (int round = 0; round < 15; round++) {
        List<Future<HttpResponse<Buffer>>> calls = new ArrayList<>();
        for (int i = 0; i < 100; i++) calls.add((i % 2 == 0 ? a : b).get(PATH));
        await(Future.join(calls));
        for (var call : calls) {
          int status = call.result().statusCode();
          if (status == 200) allowed++;
          else if (status == 429) refused++;
        }
        clock.advance(Duration.ofSeconds(1));
      }
    } finally {
      busy.set(false);
      for (Thread hog : hogs) hog.join();
    }
    assertThat(allowed + refused).isEqualTo(1500);
    assertThat(allowed).isBetween(990, 1010);
    assertThat(a.upstream.requests() + b.upstream.requests()).isEqualTo(allowed);
  }

  private LimitedGateway gateway(String callerLimits, String redisSettings) {
    LimitedGateway gateway = LimitedGateway.start(dir, clock, callerLimits,
        "{ store: redis, redis: { url: \"" + redis.url() + "\", " + redisSettings + " } }");
    gateways.add(gateway);
    return gateway;
  }

  private int occurrences(String text) {
    return log.toString(StandardCharsets.UTF_8).split(java.util.regex.Pattern.quote(text), -1).length - 1;
  }
}
