package dev.spgateway.ratelimit;

import static dev.spgateway.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.testing.MutableClock;
import dev.spgateway.testing.TeeStream;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Redis killed under a running gateway, then started again: the configured behaviour, once-per-outage logs, recovery. */
class RedisOutageTest {

  static final String LOST = "the shared rate-limit store cannot be reached";
  static final String BACK = "the shared rate-limit store answers again";

  @TempDir Path dir;
  final MutableClock clock = new MutableClock(Instant.parse("2027-03-01T09:00:00Z"));
  final ByteArrayOutputStream log = new ByteArrayOutputStream();
  PrintStream originalErr;
  RedisServer redis;
  LimitedGateway gateway;

  @BeforeEach
  void start() {
    originalErr = System.err;
    System.setErr(new PrintStream(new TeeStream(originalErr, log), true));
    redis = RedisServer.start();
  }

  @AfterEach
  void stop() {
    if (gateway != null) gateway.close();
    redis.close();
    System.setErr(originalErr);
  }

  @Test
  void failsOpenToLocalBudgetsThenSharesAgainWhenRedisReturns() {
    gateway = start("local");
    assertThat(callerDayRemaining(await(gateway.get("/graph/v1.0/users")))).isEqualTo(999);
    assertThat(callerDayRemaining(await(gateway.get("/graph/v1.0/users")))).isEqualTo(998);

    redis.kill();
    for (int i = 0; i < 5; i++) {
      HttpResponse<Buffer> response = await(gateway.get("/graph/v1.0/users"));
      assertThat(response.statusCode()).isEqualTo(200);
      // The local budget goes on from what this gateway spent through Redis (the two calls above).
      assertThat(callerDayRemaining(response)).isEqualTo(997 - i);
      clock.advance(Duration.ofMillis(600)); // past a probe interval now and then: each probe fails again
    }
    assertThat(occurrences(LOST)).isEqualTo(1);
    assertThat(gateway.metric("gateway_ratelimit_store_up")).isZero();
    assertThat(gateway.metric("gateway_ratelimit_store_unavailable_total")).isEqualTo(5);

    redis.restart(); // empty: it kept nothing
    clock.advance(Duration.ofSeconds(1));
    HttpResponse<Buffer> back = await(gateway.get("/graph/v1.0/users"));
    assertThat(callerDayRemaining(back)).isEqualTo(999); // counted in the fresh Redis again
    assertThat(callerDayRemaining(await(gateway.get("/graph/v1.0/users")))).isEqualTo(998);
    assertThat(occurrences(BACK)).isEqualTo(1);
    assertThat(gateway.metric("gateway_ratelimit_store_up")).isEqualTo(1);
    assertThat(gateway.metric("gateway_ratelimit_store_unavailable_total")).isEqualTo(5);
  }

  @Test
  void failsClosedWith503WhenConfiguredToDenyThenRecovers() {
    gateway = start("deny");
    assertThat(await(gateway.get("/graph/v1.0/users")).statusCode()).isEqualTo(200);

    redis.kill();
    HttpResponse<Buffer> refused = await(gateway.get("/graph/v1.0/users"));
    assertThat(refused.statusCode()).isEqualTo(503);
    assertThat(refused.getHeader("Retry-After")).isEqualTo("1");
    assertThat(refused.bodyAsJsonObject().getString("type")).isEqualTo("urn:sp-gateway:problem:store-unavailable");
    assertThat(refused.bodyAsJsonObject().getString("detail")).contains("onUnavailable: deny");
    assertThat(await(gateway.get("/graph/v1.0/users")).statusCode()).isEqualTo(503);
    assertThat(occurrences(LOST)).as("two failures are not yet an outage").isZero();
    assertThat(await(gateway.get("/graph/v1.0/users")).statusCode()).isEqualTo(503);
    assertThat(await(gateway.get("/graph/v1.0/users")).statusCode()).isEqualTo(503);
    assertThat(gateway.upstream.requests()).isEqualTo(1);
    assertThat(occurrences(LOST)).isEqualTo(1);

    redis.restart();
    clock.advance(Duration.ofSeconds(1));
    assertThat(await(gateway.get("/graph/v1.0/users")).statusCode()).isEqualTo(200);
    assertThat(occurrences(BACK)).isEqualTo(1);
  }

  private LimitedGateway start(String onUnavailable) {
    return LimitedGateway.start(dir, clock, "{ perDay: 1000 }", "{ store: redis, redis: { url: \"" + redis.url()
        + "\", timeout: 2s, onUnavailable: " + onUnavailable + " } }");
  }

  private static long callerDayRemaining(HttpResponse<Buffer> response) {
    assertThat(response.statusCode()).isEqualTo(200);
    String header = response.getHeader("RateLimit"); // "caller-day";r=999;t=90000
    return Long.parseLong(header.replaceAll(".*\"caller-day\";r=(\\d+).*", "$1"));
  }

  private int occurrences(String text) {
    return log.toString(StandardCharsets.UTF_8).split(java.util.regex.Pattern.quote(text), -1).length - 1;
  }
}
