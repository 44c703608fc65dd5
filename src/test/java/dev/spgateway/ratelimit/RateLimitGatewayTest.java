package dev.spgateway.ratelimit;

import static dev.spgateway.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.testing.MutableClock;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Budgets through a real gateway: headers, problem bodies, audit records, upstream holds, the concurrency cap. */
class RateLimitGatewayTest {

  @TempDir Path dir;
  final MutableClock clock = new MutableClock(Instant.parse("2027-03-01T09:00:00Z"));
  LimitedGateway gateway;

  @AfterEach
  void stop() {
    if (gateway != null) gateway.close();
  }

  @Test
  void budgetsShowInHeadersAndAnExhaustedOneIsA429ProblemNamingIt() throws Exception {
    gateway = LimitedGateway.start(dir, clock, "{ perSecond: 1, burst: 3, perDay: 100 }",
        "{ servicePrincipals: { finance: { perDay: 25000 } } }");

    HttpResponse<Buffer> first = await(gateway.get("/graph/v1.0/users"));
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.getHeader("RateLimit-Policy")).isEqualTo(
        "\"caller-rate\";q=3;w=3, \"caller-day\";q=100;w=86400, \"service-principal-day\";q=25000;w=86400");
    assertThat(first.getHeader("RateLimit")).startsWith("\"caller-rate\";r=2;t=1, \"caller-day\";r=99;t=")
        .contains("\"service-principal-day\";r=24999;t=");
    HttpResponse<Buffer> second = await(gateway.get("/graph/v1.0/users"));
    HttpResponse<Buffer> third = await(gateway.get("/graph/v1.0/users"));

    HttpResponse<Buffer> refused = await(gateway.get("/graph/v1.0/users"));
    assertThat(refused.statusCode()).isEqualTo(429);
    assertThat(refused.getHeader("content-type")).isEqualTo("application/problem+json");
    assertThat(refused.getHeader("Retry-After")).isEqualTo("1");
    assertThat(refused.getHeader("RateLimit")).startsWith("\"caller-rate\";r=0;t=3, \"caller-day\";r=97;");
    JsonObject problem = refused.bodyAsJsonObject();
    assertThat(problem.getString("type")).isEqualTo("urn:sp-gateway:problem:caller-rate");
    assertThat(problem.getInteger("status")).isEqualTo(429);
    assertThat(problem.getString("detail")).contains("invoice-flow", "perSecond", "try again in 1 s");
    assertThat(problem.getString("requestId")).isEqualTo(refused.getHeader("client-request-id")).isNotBlank();
    assertThat(gateway.upstream.requests()).isEqualTo(3);

    clock.advance(Duration.ofSeconds(1));
    HttpResponse<Buffer> afterASecond = await(gateway.get("/graph/v1.0/users"));
    assertThat(afterASecond.statusCode()).isEqualTo(200);
    assertThat(gateway.metric("gateway_ratelimit_refused_total", "limit=\"caller-rate\"")).isEqualTo(1);

    gateway.close();
    // Records are written as exchanges complete, which need not be the order their callers saw them end in:
    // each response is matched to its record by request id.
    List<JsonObject> audit = Files.readAllLines(gateway.auditFile).stream().map(JsonObject::new).toList();
    assertThat(audit).hasSize(5);
    for (HttpResponse<Buffer> allowed : List.of(first, second, third, afterASecond)) {
      assertThat(recordOf(audit, allowed).getString("rateLimit")).isEqualTo("allowed");
    }
    JsonObject refusedRecord = recordOf(audit, refused);
    assertThat(refusedRecord.getString("requestId")).isEqualTo(problem.getString("requestId"));
    assertThat(refusedRecord.getString("rateLimit")).isEqualTo("caller-rate");
    assertThat(refusedRecord.getString("problem")).isEqualTo("caller-rate");
    gateway = null;
  }

  @Test
  void aCallersDailyQuotaHoldsForTwentyFourHoursThenComesBack() {
    gateway = LimitedGateway.start(dir, clock, "{ perDay: 5 }", "null");
    for (int i = 0; i < 5; i++) assertThat(await(gateway.get("/graph/v1.0/users")).statusCode()).isEqualTo(200);
    clock.advance(Duration.ofHours(23));
    HttpResponse<Buffer> refused = await(gateway.get("/graph/v1.0/users"));
    assertThat(refused.bodyAsJsonObject().getString("type")).isEqualTo("urn:sp-gateway:problem:caller-day");
    long retryAfter = Long.parseLong(refused.getHeader("Retry-After"));
    // Counted in hour buckets: the budget returns between 24 and 25 hours after it was spent.
    assertThat(retryAfter).isBetween(3_600L, 2 * 3_600L);
    clock.advance(Duration.ofSeconds(retryAfter - 1));
    assertThat(await(gateway.get("/graph/v1.0/users")).statusCode()).isEqualTo(429);
    clock.advance(Duration.ofSeconds(1));
    assertThat(await(gateway.get("/graph/v1.0/users")).statusCode()).isEqualTo(200);
    assertThat(gateway.upstream.requests()).isEqualTo(6);
  }

  @Test
  void aServicePrincipalsDailyBudgetIsCountedPerUpstream() {
    gateway = LimitedGateway.start(dir, clock, "null", "{ servicePrincipals: { finance: { perDay: 2 } } }");
    assertThat(await(gateway.get("/graph/v1.0/users")).statusCode()).isEqualTo(200);
    assertThat(await(gateway.get("/graph/v1.0/users")).statusCode()).isEqualTo(200);
    HttpResponse<Buffer> refused = await(gateway.get("/graph/v1.0/users"));
    assertThat(refused.statusCode()).isEqualTo(429);
    assertThat(refused.bodyAsJsonObject().getString("detail"))
        .contains("service principal 'finance'", "'graph'", "ratelimit.servicePrincipals.finance.perDay");
    assertThat(refused.getHeader("RateLimit")).isEqualTo("\"service-principal-day\";r=0;t=" + 25 * 3_600);
    HttpResponse<Buffer> dataverse = await(gateway.get("/crm/api/data/v9.2/WhoAmI"));
    assertThat(dataverse.statusCode()).isEqualTo(200);
    assertThat(dataverse.getHeader("RateLimit")).startsWith("\"service-principal-day\";r=1;");
  }

  @Test
  void anUpstream429HoldsItsServicePrincipalForRetryAfterAndTheCallersAreAnsweredAtOnce() {
    gateway = LimitedGateway.start(dir, clock, "null", "null");
    gateway.upstream.throttleNext(429, 5);

    HttpResponse<Buffer> throttled = await(gateway.get("/graph/v1.0/users"));
    assertThat(throttled.statusCode()).isEqualTo(429); // Graph's own answer, passed on
    assertThat(gateway.upstream.requests()).isEqualTo(1);

    for (int second = 0; second < 5; second++) {
      HttpResponse<Buffer> held = await(gateway.get("/graph/v1.0/users"));
      assertThat(held.statusCode()).isEqualTo(429);
      assertThat(held.getHeader("Retry-After")).isEqualTo(Integer.toString(5 - second));
      assertThat(held.bodyAsJsonObject().getString("type")).isEqualTo("urn:sp-gateway:problem:upstream-hold");
      clock.advance(Duration.ofSeconds(1));
    }
    assertThat(gateway.upstream.requests()).as("no upstream call while held").isEqualTo(1);

    assertThat(await(gateway.get("/graph/v1.0/users")).statusCode()).isEqualTo(200);
    assertThat(gateway.upstream.requests()).isEqualTo(2);

    // A 503 with Retry-After holds too; the hold is per upstream, so Dataverse is still called.
    gateway.upstream.throttleNext(503, 30);
    assertThat(await(gateway.get("/graph/v1.0/users")).statusCode()).isEqualTo(503);
    assertThat(await(gateway.get("/graph/v1.0/users")).getHeader("Retry-After")).isEqualTo("30");
    assertThat(await(gateway.get("/crm/api/data/v9.2/WhoAmI")).statusCode()).isEqualTo(200);
    assertThat(gateway.metric("gateway_upstream_throttled_total", "status=\"429\"", "upstream=\"graph\"")).isEqualTo(1);
    assertThat(gateway.metric("gateway_upstream_throttled_total", "status=\"503\"", "upstream=\"graph\"")).isEqualTo(1);
    assertThat(gateway.metric("gateway_upstream_throttled_total", "status=\"503\"", "upstream=\"crm\"")).isZero();
  }

  @Test
  void dataversesOwnRemainingBudgetBecomesMetrics() {
    gateway = LimitedGateway.start(dir, clock, "null", "null");
    assertThat(await(gateway.get("/crm/api/data/v9.2/WhoAmI")).statusCode()).isEqualTo(200);
    // The stand-in reports "1,200.00" ms of execution time left, and counts its burst down from 4,000.
    assertThat(gateway.metric("gateway_dataverse_ratelimit_time_remaining_seconds", "upstream=\"crm\"",
        "service_principal=\"finance\"")).isEqualTo(1.2);
    assertThat(gateway.metric("gateway_dataverse_ratelimit_burst_remaining", "upstream=\"crm\""))
        .isPositive();
  }

  @Test
  void requestsBeyondTheConcurrencyCapQueueThenAreRefusedAndEverySlotComesBack() {
    gateway = LimitedGateway.start(dir, clock, "null",
        "{ concurrency: { perServicePrincipalAndEnvironment: 2, queue: 1, queueTimeout: 10s } }");
    String path = "/slow-crm/api/data/v9.2/accounts";
    List<Future<HttpResponse<Buffer>>> inFlight = parked(path, 2);
    Future<HttpResponse<Buffer>> first = inFlight.get(0);
    Future<HttpResponse<Buffer>> second = inFlight.get(1);

    Future<HttpResponse<Buffer>> third = gateway.get(path);
    Future<HttpResponse<Buffer>> fourth = gateway.get(path);
    // One of the two waits in the queue; the other finds it full and is refused at once.
    HttpResponse<Buffer> refused = await(Future.any(third, fourth).map(any -> third.isComplete() ? third.result()
        : fourth.result()));
    assertThat(refused.statusCode()).isEqualTo(429);
    assertThat(refused.bodyAsJsonObject().getString("type")).isEqualTo("urn:sp-gateway:problem:concurrency");
    assertThat(refused.bodyAsJsonObject().getString("detail")).contains("2 requests in flight", "slow-crm");

    gateway.upstream.releaseOne(); // one of the first two ends; its slot goes to the queued one
    await(Future.any(first, second));
    await(gateway.upstream.whenParked(2));
    gateway.upstream.releaseOne();
    gateway.upstream.releaseOne();
    Future<HttpResponse<Buffer>> queued = third.isComplete() && third.result().statusCode() == 429 ? fourth : third;
    assertThat(List.of(await(first), await(second), await(queued))).extracting(HttpResponse::statusCode)
        .containsOnly(200);
    assertThat(gateway.upstream.requests()).isEqualTo(3);

    // Every slot came back: two more go straight to the upstream.
    List<Future<HttpResponse<Buffer>>> again = parked(path, 2);
    gateway.upstream.releaseOne();
    gateway.upstream.releaseOne();
    assertThat(again).extracting(call -> await(call).statusCode()).containsOnly(200);
  }

  @Test
  void aQueuedRequestIsRefusedWhenNoSlotFreesInTime() {
    gateway = LimitedGateway.start(dir, clock, "null",
        "{ concurrency: { perServicePrincipalAndEnvironment: 1, queue: 5, queueTimeout: 100ms } }");
    String path = "/slow-crm/api/data/v9.2/accounts";
    Future<HttpResponse<Buffer>> first = parked(path, 1).get(0);
    HttpResponse<Buffer> waitedOut = await(gateway.get(path));
    assertThat(waitedOut.statusCode()).isEqualTo(429);
    assertThat(waitedOut.getHeader("Retry-After")).isEqualTo("1");
    assertThat(waitedOut.bodyAsJsonObject().getString("detail")).contains("within 100 ms");
    gateway.upstream.releaseOne();
    assertThat(await(first).statusCode()).isEqualTo(200);
    assertThat(gateway.upstream.requests()).isEqualTo(1);
  }

  /** Sends {@code count} requests the upstream keeps waiting, once they have all reached it. */
  private List<Future<HttpResponse<Buffer>>> parked(String path, int count) {
    gateway.upstream.park();
    List<Future<HttpResponse<Buffer>>> calls = java.util.stream.IntStream.range(0, count)
        .mapToObj(i -> gateway.get(path)).toList();
    await(gateway.upstream.whenParked(count));
    return calls;
  }

  /** The one audit record of the request {@code response} answered. */
  private static JsonObject recordOf(List<JsonObject> audit, HttpResponse<Buffer> response) {
    String requestId = response.getHeader("client-request-id");
    assertThat(requestId).isNotBlank();
    List<JsonObject> records = audit.stream().filter(record -> requestId.equals(record.getString("requestId"))).toList();
    assertThat(records).as("audit records of " + requestId).hasSize(1);
    return records.get(0);
  }
}
