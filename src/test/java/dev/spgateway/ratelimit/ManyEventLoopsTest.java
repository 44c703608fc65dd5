package dev.spgateway.ratelimit;

import static dev.spgateway.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.audit.AuditFiles;
import dev.spgateway.audit.AuditVerifier;
import dev.spgateway.identity.ApiKeys;
import dev.spgateway.testing.MutableClock;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gateway serving callers on four event loops, its connections spread over them (see ListenersTest): what the
 * loops share (budgets, the token cache, the audit log, the concurrency cap) still counts once for all of them.
 */
class ManyEventLoopsTest {

  static final int LOOPS = 4;
  @TempDir Path dir;
  final MutableClock clock = new MutableClock(Instant.parse("2027-03-01T09:00:00Z"));
  LimitedGateway gateway;
  WebClient callers;

  @AfterEach
  void stop() {
    if (callers != null) callers.close();
    if (gateway != null) gateway.close();
  }

  @Test
  void fourLoopsTakeFromOneBudgetFetchOneTokenAndWriteOneAuditChain() throws Exception {
    start("{ perDay: 40 }", "null");

    List<HttpResponse<Buffer>> answers = all(60, i -> get("/graph/v1.0/users"));

    Map<Integer, Long> statuses = answers.stream().collect(Collectors.groupingBy(HttpResponse::statusCode,
        Collectors.counting()));
    assertThat(statuses).isEqualTo(Map.of(200, 40L, 429, 20L));
    assertThat(answers).filteredOn(answer -> answer.statusCode() == 429)
        .allSatisfy(refused -> assertThat(refused.bodyAsJsonObject().getString("type"))
            .isEqualTo("urn:sp-gateway:problem:caller-day"));
    assertThat(gateway.upstream.requests()).as("only what the budget allowed went upstream").isEqualTo(40);
    // One token for the vault reader, and one per scope the routes reach (graph, slow-crm, crm), asked for at start:
    // whenever the graph one lands, every loop's callers share it, so the calls add none.
    assertThat(gateway.entra.tokenRequests()).as("one token fetch per scope for all loops").isEqualTo(4);

    Path auditFile = gateway.auditFile;
    callers.close();
    callers = null;
    gateway.close(); // writes out every record
    gateway = null;
    AuditVerifier.Result audit = AuditVerifier.verify(new AuditFiles(auditFile));
    assertThat(audit.whole()).as("one unbroken hash chain: %s", audit.problem()).isTrue();
    assertThat(audit.records()).isEqualTo(60);
    assertThat(Files.readAllLines(auditFile)).filteredOn(line -> line.contains("\"status\":429")).hasSize(20);
  }

  @Test
  void theConcurrencyCapCountsRequestsOnEveryLoop() throws Exception {
    start("null", "{ concurrency: { perServicePrincipalAndEnvironment: 2, queue: 0 } }");
    gateway.upstream.park();
    CountDownLatch refused = new CountDownLatch(4);
    List<Future<HttpResponse<Buffer>>> calls = IntStream.range(0, 6)
        .mapToObj(i -> get("/slow-crm/api/data/v9.2/accounts").onSuccess(answer -> {
          if (answer.statusCode() == 429) refused.countDown();
        })).toList();

    await(gateway.upstream.whenParked(2));
    assertThat(refused.await(10, TimeUnit.SECONDS)).as("four refused at once, whichever loop they came on").isTrue();
    assertThat(gateway.upstream.requests()).isEqualTo(2);
    gateway.upstream.releaseOne();
    gateway.upstream.releaseOne();
    assertThat(calls).extracting(call -> await(call).statusCode()).containsOnly(200, 429)
        .filteredOn(status -> status == 200).hasSize(2);

    // Both slots came back: two more reach the upstream.
    assertThat(all(2, i -> get("/slow-crm/api/data/v9.2/accounts"))).extracting(HttpResponse::statusCode)
        .containsOnly(200);
  }

  private void start(String callerLimits, String ratelimit) {
    gateway = LimitedGateway.start(dir, clock, callerLimits, ratelimit, LOOPS);
    // Many connections at once, so the listener spreads them over its loops.
    callers = WebClient.create(gateway.vertx, new WebClientOptions(), new PoolOptions().setHttp1MaxSize(32));
  }

  private Future<HttpResponse<Buffer>> get(String path) {
    return callers.get(gateway.gateway.port(), "127.0.0.1", path).putHeader(ApiKeys.HEADER, gateway.callerKey).send();
  }

  private static List<HttpResponse<Buffer>> all(int count, Function<Integer, Future<HttpResponse<Buffer>>> call) {
    List<Future<HttpResponse<Buffer>>> calls = IntStream.range(0, count).boxed().map(call).toList();
    return calls.stream().map(future -> await(future)).toList();
  }
}
