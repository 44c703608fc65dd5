package dev.spgateway.ratelimit;

import static dev.spgateway.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.testing.MutableClock;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two gateways, each on its own Vert.x with its own stand-ins, listener and client, sharing nothing but
 * one real redis-server (and, as NTP-synchronised hosts would, the time): one budget between them.
 */
class SharedRedisBudgetTest {

  static final int QUOTA = 300;

  @TempDir Path dir;
  final MutableClock clock = new MutableClock(Instant.parse("2027-03-01T09:00:00Z"));
  RedisServer redis;
  LimitedGateway a;
  LimitedGateway b;

  @BeforeEach
  void start() {
    redis = RedisServer.start();
    String ratelimit = "{ store: redis, redis: { url: \"" + redis.url() + "\", timeout: 2s, onUnavailable: deny } }";
    a = LimitedGateway.start(dir, clock, "{ perSecond: 100, burst: 100, perDay: " + QUOTA + " }", ratelimit);
    b = LimitedGateway.start(dir, clock, "{ perSecond: 100, burst: 100, perDay: " + QUOTA + " }", ratelimit);
  }

  @AfterEach
  void stop() {
    a.close();
    b.close();
    redis.close();
  }

  @ParameterizedTest(name = "{0}% of the load on the first gateway")
  @ValueSource(ints = {50, 90})
  void aSharedDailyQuotaLetsThroughExactlyItsSizeHoweverTheLoadIsSplit(int percentOnA) {
    Random random = new Random(percentOnA);
    int allowed = 0;
    int refused = 0;
    // Bursts of 100 at once on both gateways, a simulated second apart: the rate never binds, the day does.
    for (int round = 0; round < 6; round++) {
      List<Future<HttpResponse<Buffer>>> calls = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        calls.add((random.nextInt(100) < percentOnA ? a : b).get("/graph/v1.0/users"));
      }
      await(Future.join(calls));
      for (var call : calls) {
        int status = call.result().statusCode();
        if (status == 200) allowed++;
        if (status == 429) {
          refused++;
          assertThat(call.result().bodyAsJsonObject().getString("type")).isEqualTo("urn:sp-gateway:problem:caller-day");
        }
      }
      clock.advance(Duration.ofSeconds(1));
    }
    assertThat(allowed).isBetween(QUOTA * 99 / 100, QUOTA * 101 / 100).isEqualTo(QUOTA);
    assertThat(refused).isEqualTo(600 - QUOTA);
    assertThat(a.upstream.requests() + b.upstream.requests()).isEqualTo(QUOTA);
  }

  @Test
  void anUpstreamHoldSeenByOneGatewayHoldsTheOtherToo() {
    a.upstream.throttleNext(429, 10);
    assertThat(await(a.get("/graph/v1.0/users")).statusCode()).isEqualTo(429);
    HttpResponse<Buffer> held = await(b.get("/graph/v1.0/users"));
    assertThat(held.bodyAsJsonObject().getString("type")).isEqualTo("urn:sp-gateway:problem:upstream-hold");
    assertThat(held.getHeader("Retry-After")).isEqualTo("10");
    assertThat(b.upstream.requests()).isZero();
  }
}
