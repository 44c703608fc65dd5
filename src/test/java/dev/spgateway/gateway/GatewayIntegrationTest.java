package dev.spgateway.gateway;

import static dev.spgateway.testing.Await.await;
import static dev.spgateway.testing.Await.awaitFailure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.config.ConfigLoader;
import dev.spgateway.identity.ApiKeys;
import dev.spgateway.sandbox.DataverseStandIn;
import dev.spgateway.sandbox.GraphStandIn;
import dev.spgateway.sandbox.JwksBearerVerifier;
import dev.spgateway.sandbox.KeyVaultStandIn;
import dev.spgateway.sandbox.ReceivedRequest;
import dev.spgateway.sandbox.SelfSignedTls;
import dev.spgateway.testing.TeeStream;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway end to end, with real parts only: mock-oauth2-server as Entra ID, the Azure SDK reading a
 * local HTTPS Key Vault, and upstreams that verify every bearer token against the issuer's keys.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GatewayIntegrationTest {

  static final String TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
  static final String ISSUER_ID = TENANT + "/oauth2/v2.0";
  static final String FINANCE_ID = "1b4c0000-0000-4000-8000-00000000a11c";
  static final String VAULT_READER_ID = "5e1d0000-0000-4000-8000-0000000000aa";
  static final String ECHO_AUDIENCE = "https://echo.example";
  static final String FINANCE_SECRET = "finance-secret-" + ApiKeys.generate();
  static final String VAULT_READER_SECRET = "vault-reader-secret-" + ApiKeys.generate();
  static final String CALLER_KEY = ApiKeys.generate();
  static final String FOREIGN_KEY = ApiKeys.generate();

  final ByteArrayOutputStream capturedErr = new ByteArrayOutputStream();
  PrintStream originalErr;
  Path dir;
  Vertx vertx;
  MockOAuth2Server entra;
  KeyVaultStandIn vault;
  GraphStandIn graph;
  DataverseStandIn dataverse;
  EchoUpstream echo;
  Gateway gateway;
  PrometheusMeterRegistry registry;
  WebClient client;
  String gatewayUrl;
  Map<String, String> startValues;
  volatile boolean callerHungUp;
  /** request id → status the caller saw: each must have exactly one matching audit record. */
  final Map<String, Integer> answered = new ConcurrentHashMap<>();

  @BeforeAll
  void start(@TempDir Path tempDir) throws Exception {
    dir = tempDir;
    originalErr = System.err;
    System.setErr(new PrintStream(new TeeStream(originalErr, capturedErr), true));
    vertx = Vertx.vertx();
    entra = new MockOAuth2Server(OAuth2Config.Companion.fromJson(audiences(
        GraphStandIn.AUDIENCE, DataverseStandIn_ENV, KeyVaultStandIn.RESOURCE, ECHO_AUDIENCE)));
    entra.start(InetAddress.getByName("127.0.0.1"), 0);

    SelfSignedTls tls = SelfSignedTls.generate();
    Path trustPem = Files.writeString(dir.resolve("vault.pem"), tls.certificatePem());
    vault = await(new KeyVaultStandIn(vertx, verifier(KeyVaultStandIn.RESOURCE), TENANT, tls)
        .putSecret("finance-client-secret", FINANCE_SECRET).start());
    graph = await(new GraphStandIn(vertx, verifier(GraphStandIn.AUDIENCE)).start());
    dataverse = await(new DataverseStandIn(vertx, DataverseStandIn_ENV, verifier(DataverseStandIn_ENV)).start());
    echo = await(new EchoUpstream(vertx, verifier(ECHO_AUDIENCE)).start());
    int closedPort = await(vertx.createHttpServer().requestHandler(r -> {}).listen(0, "127.0.0.1")
        .compose(s -> s.close().map(s.actualPort())));

    Map<String, String> values = new HashMap<>();
    values.put("AUTHORITY", entra.baseUrl().toString().replaceAll("/$", ""));
    values.put("VAULT_URL", vault.vaultUrl());
    values.put("VAULT_READER_SECRET", VAULT_READER_SECRET);
    values.put("TRUST_PEM", trustPem.toString());
    values.put("GRAPH_URL", graph.baseUrl());
    values.put("DATAVERSE_URL", dataverse.baseUrl());
    values.put("ECHO_URL", echo.baseUrl());
    values.put("CLOSED_URL", "http://127.0.0.1:" + closedPort);
    values.put("AUDIT_FILE", dir.resolve("audit.jsonl").toString());
    values.put("CALLER_KEY_SHA256", ApiKeys.sha256Hex(CALLER_KEY));
    values.put("FOREIGN_KEY_SHA256", ApiKeys.sha256Hex(FOREIGN_KEY));
    startValues = Map.copyOf(values);
    var config = new ConfigLoader(values::get).parse("test-gateway.yaml", CONFIG);
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // A cold JVM on a busy machine: the first Key Vault reads load much of the Azure SDK.
    gateway = Gateway.start(vertx, config, registry).toCompletionStage().toCompletableFuture()
        .get(2, TimeUnit.MINUTES);
    gatewayUrl = "http://127.0.0.1:" + gateway.port();
    client = WebClient.create(vertx, new WebClientOptions(), new PoolOptions().setHttp1MaxSize(256));
  }

  static final String DataverseStandIn_ENV = "https://contoso.crm.dynamics.com";

  static final String CONFIG = """
      listener: { host: 127.0.0.1, port: 0 }
      admin: { host: 127.0.0.1, port: 0 }
      entra: { authority: "${AUTHORITY}" }
      keyVault:
        url: "${VAULT_URL}"
        maxRetries: 0
        credential: { tenant: %1$s, clientId: %2$s, secret: "${VAULT_READER_SECRET}" }
      tls: { trustPemFiles: [ "${TRUST_PEM}" ] }
      servicePrincipals:
        finance: { tenant: %1$s, clientId: %3$s, secret: { keyVault: finance-client-secret } }
      upstreams:
        graph:   { url: "${GRAPH_URL}", kind: graph, resource: https://graph.microsoft.com }
        crm:     { url: "${DATAVERSE_URL}", kind: dataverse, resource: https://contoso.crm.dynamics.com }
        echo:    { url: "${ECHO_URL}", kind: graph, resource: https://echo.example, timeout: 300ms }
        gone:    { url: "${CLOSED_URL}", kind: graph, resource: https://echo.example }
      callers:
        invoice-flow:
          apiKey: { sha256: "${CALLER_KEY_SHA256}" }
          routes:
            - { upstream: graph, as: finance, allow: [ "GET /v1.0/users/{id}", "POST /v1.0/users/{id}/sendMail" ] }
            - { upstream: crm, as: finance, allow: [ "GET /api/data/v9.2/WhoAmI" ] }
            - upstream: echo
              as: finance
              allow:
                - { rule: "POST /echo", body: { maxBytes: 16777216, contentTypes: [ "*/*" ], unknownLength: true } }
                - "GET /silent"
            - { upstream: gone, as: finance, allow: [ "GET /anything" ] }
        report-script:
          apiKey: { sha256: "${FOREIGN_KEY_SHA256}" }
          routes:
            - { upstream: crm, as: finance, allow: [ "GET /api/data/v9.2/WhoAmI" ] }
      audit: { file: "${AUDIT_FILE}" }
      # 200 concurrent first calls to Dataverse: all wait for a slot instead of the default queue refusing some.
      ratelimit: { concurrency: { queue: 200, queueTimeout: 10s } }
      """.formatted(TENANT, VAULT_READER_ID, FINANCE_ID);

  @AfterAll
  void stop() throws Exception {
    try {
      await(gateway.close());
      List<JsonObject> records = Files.readAllLines(dir.resolve("audit.jsonl")).stream().map(JsonObject::new).toList();
      // Every request the tests saw answered left exactly one audit record with the status the caller got.
      answered.forEach((requestId, status) -> assertThat(records)
          .filteredOn(r -> requestId.equals(r.getString("requestId")))
          .singleElement()
          .satisfies(r -> assertThat(r.getInteger("status")).isEqualTo(status)));
      if (callerHungUp) {
        assertThat(records).anySatisfy(r -> {
          assertThat(r.getString("path")).isEqualTo("/silent");
          assertThat(r.getInteger("status")).isEqualTo(499);
          assertThat(r.getString("outcome")).isEqualTo("failed");
        });
      }
      assertThat(capturedErr.toString(StandardCharsets.UTF_8)).doesNotContain("failed unexpectedly");
      // No secret, key or token in any log line or audit record.
      String logs = capturedErr.toString(StandardCharsets.UTF_8);
      String audit = Files.readString(dir.resolve("audit.jsonl"));
      List<String> secrets = new ArrayList<>(List.of(FINANCE_SECRET, VAULT_READER_SECRET, CALLER_KEY, FOREIGN_KEY));
      echo.tokensSeen().stream().filter(t -> !t.isEmpty()).forEach(secrets::add);
      graph.received().forEach(r -> secrets.add(r.header("Authorization").substring("Bearer ".length())));
      assertThat(secrets).hasSizeGreaterThan(6);
      for (String secret : secrets) {
        assertThat(logs).doesNotContain(secret);
        assertThat(audit).doesNotContain(secret);
      }
      assertThat(logs).doesNotContain("has been blocked for");
    } finally {
      System.setErr(originalErr);
      entra.shutdown();
      await(vertx.close());
    }
  }

  @Test
  void anAllowedCallReachesGraphWithTheServicePrincipalsTokenAndNothingOfTheCallers() {
    String user = GraphStandIn.userIds().get(0);
    HttpResponse<Buffer> response = send(client.get(gateway.port(), "127.0.0.1", "/graph/v1.0/users/" + user)
        .putHeader(ApiKeys.HEADER, CALLER_KEY).putHeader("Cookie", "session=caller").putHeader("Authorization", "Basic x")
        .putHeader("Proxy-Authorization", "Basic y").putHeader("Forwarded", "for=10.0.0.1;host=evil.example")
        .putHeader("X-Forwarded-For", "10.0.0.1").putHeader("X-Forwarded-Host", "evil.example")
        .putHeader("X-Forwarded-Proto", "http").putHeader("Client-Request-Id", "chosen-by-caller")
        .putHeader("x-ms-client-request-id", "chosen-too").putHeader("ConsistencyLevel", "eventual"));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.bodyAsJsonObject().getString("id")).isEqualTo(user);
    ReceivedRequest received = graph.received().get(graph.received().size() - 1);
    JsonObject claims = claims(received.header("Authorization"));
    assertThat(claims.getString("aud")).isEqualTo(GraphStandIn.AUDIENCE);
    assertThat(claims.getString("sub")).isEqualTo(FINANCE_ID);
    assertThat(received.header(ApiKeys.HEADER)).isNull();
    for (String callers : List.of("Cookie", "Proxy-Authorization", "Forwarded", "X-Forwarded-For", "X-Forwarded-Host",
        "X-Forwarded-Proto", "x-ms-client-request-id")) {
      assertThat(received.header(callers)).as(callers).isNull();
    }
    assertThat(received.header("ConsistencyLevel")).as("a header of the API's own passes").isEqualTo("eventual");
    assertThat(received.header("Host")).isEqualTo("127.0.0.1:" + graph.port());
    assertThat(response.headers().getAll("client-request-id")).hasSize(1);
    assertThat(response.getHeader("client-request-id")).isNotEqualTo("chosen-by-caller");
    assertThat(received.header("client-request-id")).isEqualTo(response.getHeader("client-request-id"));
    assertThat(response.getHeader("request-id")).as("Graph's own request id passes back").isNotNull();
  }

  @Test
  void aLargeBodyStreamsBothWaysWithoutBeingBufferedWhole() throws Exception {
    // Ping-pong: each chunk is sent only once the echo of everything before it came back through the
    // gateway. A gateway that buffered either body whole would never answer, and the test would time out.
    int chunks = 64;
    int chunkSize = 128 * 1024;
    HttpClient http = vertx.createHttpClient(new HttpClientOptions(), new PoolOptions());
    MessageDigest sentDigest = MessageDigest.getInstance("SHA-256");
    MessageDigest receivedDigest = MessageDigest.getInstance("SHA-256");
    Promise<Long> done = Promise.promise();
    long[] received = {0};
    int[] sent = {0};
    var request = await(http.request(new RequestOptions().setMethod(HttpMethod.POST).setPort(gateway.port())
        .setHost("127.0.0.1").setURI("/echo/echo").putHeader(ApiKeys.HEADER, CALLER_KEY)));
    request.setChunked(true);
    Runnable sendNext = () -> {
      byte[] bytes = new byte[chunkSize];
      ThreadLocalRandom.current().nextBytes(bytes);
      sentDigest.update(bytes);
      sent[0]++;
      if (sent[0] < chunks) request.write(Buffer.buffer(bytes)); else request.end(Buffer.buffer(bytes));
    };
    request.response().onSuccess(response -> {
      assertThat(response.statusCode()).isEqualTo(200);
      answered.put(response.getHeader("client-request-id"), 200);
      response.handler(buffer -> {
        receivedDigest.update(buffer.getBytes());
        received[0] += buffer.length();
        if (received[0] == (long) sent[0] * chunkSize && sent[0] < chunks) sendNext.run();
      });
      response.endHandler(end -> done.complete(received[0]));
    }).onFailure(done::fail);
    request.sendHead().onSuccess(head -> sendNext.run());

    assertThat(await(done.future())).isEqualTo((long) chunks * chunkSize);
    assertThat(receivedDigest.digest()).isEqualTo(sentDigest.digest());
    http.close();
  }

  @Test
  void deniedAndUnauthenticatedCallsNeverReachTheUpstream() {
    int before = graph.requestCount();
    String user = GraphStandIn.userIds().get(0);
    String path = "/graph/v1.0/users/" + user;

    assertProblem(send(client.get(gateway.port(), "127.0.0.1", path)), 401, "missing-api-key");
    assertProblem(send(client.get(gateway.port(), "127.0.0.1", path).putHeader(ApiKeys.HEADER, "spg_wrong")),
        401, "unknown-api-key");
    assertProblem(send(client.delete(gateway.port(), "127.0.0.1", path).putHeader(ApiKeys.HEADER, CALLER_KEY)),
        403, "route-denied");
    assertProblem(send(client.get(gateway.port(), "127.0.0.1", "/graph/v1.0/users/" + user + "/manager")
        .putHeader(ApiKeys.HEADER, CALLER_KEY)), 403, "route-denied");
    assertProblem(send(client.get(gateway.port(), "127.0.0.1", path).putHeader(ApiKeys.HEADER, FOREIGN_KEY)),
        403, "route-denied");
    assertProblem(send(client.get(gateway.port(), "127.0.0.1", "/graph/v1.0/users/x%2F..%2F..%2Fdirectory")
        .putHeader(ApiKeys.HEADER, CALLER_KEY)), 400, "bad-target");
    var denied = send(client.post(gateway.port(), "127.0.0.1", "/graph/v1.0/users/" + user + "/delete")
        .putHeader(ApiKeys.HEADER, CALLER_KEY), Buffer.buffer(new byte[2 * 1024 * 1024]));
    assertProblem(denied, 403, "route-denied");

    assertThat(graph.requestCount()).isEqualTo(before);
  }

  @Test
  void twoHundredConcurrentCallsCauseNoTokenRequestBeyondTheOneAtStartAndTheSecretIsReadOnce() throws Exception {
    awaitReady(); // the token requests made at start have been answered (and recorded) by now
    drainRecordedRequests();
    List<Future<HttpResponse<Buffer>>> calls = IntStream.range(0, 200)
        .mapToObj(i -> client.get(gateway.port(), "127.0.0.1", "/crm/api/data/v9.2/WhoAmI")
            .putHeader(ApiKeys.HEADER, CALLER_KEY).send())
        .toList();
    await(Future.all(calls));

    for (var call : calls) {
      assertThat(call.result().statusCode()).isEqualTo(200);
      answered.put(call.result().getHeader("client-request-id"), 200);
    }
    // The gateway asked for the Dataverse token once at start (readiness); the calls share it.
    assertThat(drainRecordedRequests().stream().filter(r -> r.getPath().endsWith("/token"))
        .filter(r -> r.getBody().readUtf8().contains("contoso.crm.dynamics.com")))
        .isEmpty();
    assertThat(dataverse.requestCount()).isGreaterThanOrEqualTo(200);
    assertThat(vault.reads("finance-client-secret")).isEqualTo(1);
  }

  @Test
  void anUpstream401EvictsTheTokenAndTheRequestIsRetriedOnceWithAFreshOne() {
    var first = send(client.post(gateway.port(), "127.0.0.1", "/echo/echo").putHeader(ApiKeys.HEADER, CALLER_KEY),
        Buffer.buffer("first"));
    assertThat(first.statusCode()).isEqualTo(200);
    String firstToken = echo.tokensSeen().get(echo.tokensSeen().size() - 1);
    echo.revoke(firstToken);
    int seenBefore = echo.tokensSeen().size();

    var retried = send(client.post(gateway.port(), "127.0.0.1", "/echo/echo").putHeader(ApiKeys.HEADER, CALLER_KEY),
        Buffer.buffer("second"));

    assertThat(retried.statusCode()).isEqualTo(200);
    assertThat(retried.bodyAsString()).as("the body was sent again").isEqualTo("second");
    List<String> seen = echo.tokensSeen().subList(seenBefore, echo.tokensSeen().size());
    assertThat(seen).hasSize(2);
    assertThat(seen.get(0)).isEqualTo(firstToken);
    assertThat(seen.get(1)).isNotEqualTo(firstToken);

    // When every token is refused, the caller gets the gateway's own problem (not a bare 401 that reads as its key
    // being refused), and the token just fetched is not evicted again within the window: no token request.
    echo.refuseEveryToken();
    var refused = send(client.post(gateway.port(), "127.0.0.1", "/echo/echo").putHeader(ApiKeys.HEADER, CALLER_KEY),
        Buffer.buffer("third"));
    assertProblem(refused, 502, "upstream-rejected-token");
    assertThat(refused.getHeader("WWW-Authenticate")).isNull();
    assertThat(echo.tokensSeen().size() - seenBefore).isEqualTo(3);
  }

  @Test
  void anUnreachableUpstreamIs502AndASilentOneIs504() {
    assertProblem(send(client.get(gateway.port(), "127.0.0.1", "/gone/anything").putHeader(ApiKeys.HEADER, CALLER_KEY)),
        502, "upstream-unreachable");
    assertProblem(send(client.get(gateway.port(), "127.0.0.1", "/echo/silent").putHeader(ApiKeys.HEADER, CALLER_KEY)),
        504, "upstream-timeout");
  }

  @Test
  void aCallerThatHangsUpIsAuditedAs499AndNotLoggedAsAnError() throws Exception {
    var http = vertx.createHttpClient();
    var request = await(http.request(new RequestOptions().setPort(gateway.port()).setHost("127.0.0.1")
        .setURI("/echo/silent").putHeader(ApiKeys.HEADER, CALLER_KEY)));
    Promise<Void> closed = Promise.promise();
    request.connection().closeHandler(closed::complete);
    await(request.sendHead());
    request.connection().close(); // while the upstream is still silent
    await(closed.future());
    http.close();
    callerHungUp = true; // checked against the audit log once the gateway has flushed it, in stop()
  }

  @Test
  void aMissingSecretStopsTheStartNamingVaultAndSecret() throws Exception {
    Map<String, String> values = new HashMap<>(startValues);
    values.put("AUDIT_FILE", dir.resolve("second-audit.jsonl").toString());
    var config = new ConfigLoader(values::get).parse("test-gateway.yaml",
        CONFIG.replace("keyVault: finance-client-secret", "keyVault: finance-secret-typo"));

    Throwable failure = awaitFailure(Gateway.start(vertx, config, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)));

    assertThat(failure.getMessage()).contains("finance-secret-typo", vault.vaultUrl()).doesNotContain(FINANCE_SECRET);
  }

  @Test
  void adminPortReportsReadinessAndMetrics() {
    send(client.get(gateway.port(), "127.0.0.1", "/graph/v1.0/users/" + GraphStandIn.userIds().get(1))
        .putHeader(ApiKeys.HEADER, CALLER_KEY));
    assertThat(await(client.get(gateway.adminPort(), "127.0.0.1", "/health/ready").send()).statusCode()).isEqualTo(200);
    assertThat(await(client.get(gateway.adminPort(), "127.0.0.1", "/health/live").send()).statusCode()).isEqualTo(200);
    String metrics = await(client.get(gateway.adminPort(), "127.0.0.1", "/metrics").send()).bodyAsString();
    assertThat(metrics)
        .contains("gateway_requests_total{caller=\"invoice-flow\",status_class=\"2xx\",upstream=\"graph\"}")
        .contains("gateway_token_requests_total{outcome=\"success\",service_principal=\"finance\"}")
        .contains("gateway_keyvault_reads_total{outcome=\"success\",secret=\"finance-client-secret\"} 1.0")
        .contains("gateway_upstream_duration_seconds_bucket{upstream=\"graph\"");
  }

  private JsonObject assertProblem(HttpResponse<Buffer> response, int status, String type) {
    assertThat(response.statusCode()).isEqualTo(status);
    assertThat(response.getHeader("content-type")).isEqualTo("application/problem+json");
    JsonObject problem = response.bodyAsJsonObject();
    assertThat(problem.getString("type")).isEqualTo("urn:sp-gateway:problem:" + type);
    assertThat(problem.getInteger("status")).isEqualTo(status);
    assertThat(problem.getString("detail")).isNotBlank();
    assertThat(problem.getString("requestId")).isEqualTo(response.getHeader("client-request-id"));
    return problem;
  }

  private HttpResponse<Buffer> send(HttpRequest<Buffer> request) {
    return record(await(request.send()));
  }

  private HttpResponse<Buffer> send(HttpRequest<Buffer> request, Buffer body) {
    return record(await(request.sendBuffer(body)));
  }

  private HttpResponse<Buffer> record(HttpResponse<Buffer> response) {
    answered.put(response.getHeader("client-request-id"), response.statusCode());
    return response;
  }

  /** Readiness turns 200 once the token requests made at start have been answered: a bounded wait on that. */
  private void awaitReady() throws InterruptedException {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
    while (await(client.get(gateway.adminPort(), "127.0.0.1", "/health/ready").send()).statusCode() != 200) {
      assertThat(System.nanoTime()).as("ready within 60 s").isLessThan(deadline);
      Thread.sleep(20); // polling an observable state, not waiting for time to pass
    }
  }

  private List<RecordedRequest> drainRecordedRequests() throws InterruptedException {
    List<RecordedRequest> requests = new ArrayList<>();
    while (true) {
      try {
        requests.add(entra.takeRequest(1, TimeUnit.MILLISECONDS));
      } catch (RuntimeException queueEmpty) { // how mock-oauth2-server says there is none
        return requests;
      }
    }
  }

  private JwksBearerVerifier verifier(String audience) {
    return new JwksBearerVerifier(vertx, entra.jwksUrl(ISSUER_ID).toString(), entra.issuerUrl(ISSUER_ID).toString(),
        audience);
  }

  /** mock-oauth2-server keeps "/.default" in aud; Entra does not. Map each scope to Entra's audience. */
  private static String audiences(String... resources) {
    StringBuilder mappings = new StringBuilder();
    for (String resource : resources) {
      if (mappings.length() > 0) mappings.append(',');
      mappings.append("""
          {"requestParam":"scope","match":"%s/.default","claims":{"sub":"${clientId}","aud":["%s"]}}"""
          .formatted(resource, resource));
    }
    return """
        {"tokenCallbacks":[{"issuerId":"%s","tokenExpiry":3600,"requestMappings":[%s]}]}"""
        .formatted(ISSUER_ID, mappings);
  }

  private static JsonObject claims(String authorization) {
    String payload = authorization.substring("Bearer ".length()).split("\\.")[1];
    return new JsonObject(new String(Base64.getUrlDecoder().decode(payload), StandardCharsets.UTF_8));
  }
}
