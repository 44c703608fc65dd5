package dev.spgateway.gateway;

import static dev.spgateway.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.audit.AuditFiles;
import dev.spgateway.audit.AuditVerifier;
import dev.spgateway.identity.ApiKeys;
import dev.spgateway.sandbox.GraphStandIn;
import dev.spgateway.sandbox.JwksBearerVerifier;
import dev.spgateway.sandbox.Sandbox;
import dev.spgateway.testing.TeeStream;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live config on a running gateway (the sandbox: real Entra ID, Key Vault, Graph and Dataverse stand-ins).
 * The config sits in a Kubernetes ConfigMap layout ({@code gateway.yaml} → {@code ..data/gateway.yaml},
 * {@code ..data} → a timestamped directory). Most tests write the file in place, which the directory watch
 * does not see, and reload as SIGHUP does, so each reload's outcome is known; one swaps {@code ..data} as the
 * kubelet does and waits for the watch to pick it up.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LiveConfigTest {

  static final String HR_KEY = ApiKeys.generate();
  static final String LATE_KEY = ApiKeys.generate();
  static final String READER_KEY = ApiKeys.generate();
  static final Pattern RELOADS = Pattern.compile("gateway_config_reloads_total\\{outcome=\"([a-z-]+)\",?} ([0-9.]+)");

  final ByteArrayOutputStream capturedErr = new ByteArrayOutputStream();
  PrintStream originalErr;
  Path configMap;
  Path configFile;
  int swaps;
  Vertx vertx;
  Sandbox sandbox;
  WebClient client;
  /** Request id → status the caller saw: each must have exactly one audit record with that status. */
  final Map<String, Integer> answered = new ConcurrentHashMap<>();

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    originalErr = System.err;
    System.setErr(new PrintStream(new TeeStream(originalErr, capturedErr), true));
    configMap = Files.createDirectories(dir.resolve("configmap"));
    Path first = Files.createDirectories(configMap.resolve("..2026_11_22_03_00_00.0"));
    Files.writeString(first.resolve("gateway.yaml"), config(Config.base()));
    Files.createSymbolicLink(configMap.resolve("..data"), first.getFileName());
    configFile = Files.createSymbolicLink(configMap.resolve("gateway.yaml"), Path.of("..data/gateway.yaml"));
    vertx = Vertx.vertx();
    // A first start loads many classes: on a busy machine it can take longer than await's 10 s.
    sandbox = Sandbox.start(vertx, configFile, 0, 0, dir).toCompletionStage().toCompletableFuture()
        .get(60, TimeUnit.SECONDS);
    client = WebClient.create(vertx);
  }

  @AfterAll
  void stop() throws IOException {
    try {
      await(sandbox.close());
      List<JsonObject> records = new ArrayList<>();
      for (AuditFiles.LogFile file : new AuditFiles(sandbox.auditFile()).list()) {
        Files.readAllLines(file.path()).forEach(line -> records.add(new JsonObject(line)));
      }
      Map<String, Integer> recorded = new HashMap<>();
      for (JsonObject record : records) {
        if (record.getString("requestId") == null) continue;
        assertThat(recorded.put(record.getString("requestId"), record.getInteger("status")))
            .as("one record per request: " + record.getString("requestId")).isNull();
      }
      // No answered request without its record, nor with another status.
      answered.forEach((id, status) -> assertThat(recorded).containsEntry(id, status));
      assertThat(AuditVerifier.verify(new AuditFiles(sandbox.auditFile())).whole()).isTrue();
      String text = Files.readString(sandbox.auditFile());
      assertThat(text).doesNotContain(sandbox.callerKey()).doesNotContain(HR_KEY).doesNotContain(READER_KEY);
      assertReloadRecordsMatchTheSchema(records);
    } finally {
      System.setErr(originalErr);
      await(vertx.close());
    }
  }

  @Test
  void aRemovedCallersKeyStopsWorkingOnTheNextRequest() throws Exception {
    apply(Config.base());
    assertThat(call(HR_KEY, "/graph/v1.0/users/" + user()).statusCode()).isEqualTo(200);

    String withoutHr = config(Config.base().withoutHr()) + "# " + UUID.randomUUID() + "\n";
    write(withoutHr);
    assertThat(await(sandbox.reload(LiveConfig.SIGNAL))).isEqualTo(LiveConfig.Outcome.APPLIED);

    HttpResponse<Buffer> refused = call(HR_KEY, "/graph/v1.0/users/" + user());
    assertThat(refused.statusCode()).isEqualTo(401);
    assertThat(refused.bodyAsJsonObject().getString("type")).endsWith("unknown-api-key");
    assertThat(call(sandbox.callerKey(), "/graph/v1.0/users/" + user()).statusCode()).isEqualTo(200);
    JsonObject reload = awaitReloadRecord(sha256(withoutHr));
    assertThat(reload.getJsonObject("config").getString("trigger")).isEqualTo("signal");
    assertThat(reload.getString("reason")).contains("callers -hr-sync");
  }

  @Test
  void aChangedRouteAppliesToTheNextRequest() {
    apply(Config.base());
    String users = "/graph/v1.0/users";
    assertThat(call(sandbox.callerKey(), users).statusCode()).isEqualTo(200);

    apply(Config.base().graphRules("\"GET /v1.0/users/{id}\""));
    HttpResponse<Buffer> denied = call(sandbox.callerKey(), users);
    assertThat(denied.statusCode()).isEqualTo(403);
    assertThat(denied.bodyAsJsonObject().getString("detail")).isNotBlank();
    assertThat(call(sandbox.callerKey(), users + "/" + user()).statusCode()).isEqualTo(200);

    apply(Config.base());
    assertThat(call(sandbox.callerKey(), users).statusCode()).isEqualTo(200);
  }

  @Test
  void aBrokenFileIsRefusedWithTheStartErrorsAndTheOldConfigStays() {
    apply(Config.base());
    double invalidBefore = reloads("invalid");
    int logged = capturedErr.size();

    write(config(Config.base().withoutHr()).replace("upstream: crm", "upstream: crn"));
    assertThat(await(sandbox.reload(LiveConfig.SIGNAL))).isEqualTo(LiveConfig.Outcome.INVALID);
    write("callers: [ this is: not valid");
    assertThat(await(sandbox.reload(LiveConfig.SIGNAL))).isEqualTo(LiveConfig.Outcome.INVALID);

    // The old config is in force: the caller the broken file removed still gets in.
    assertThat(call(HR_KEY, "/graph/v1.0/users/" + user()).statusCode()).isEqualTo(200);
    assertThat(reloads("invalid")).isEqualTo(invalidBefore + 2);
    List<String> lines = logLines(logged, "refused");
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0)).contains(configFile.toString(), "callers.invoice-flow.routes[1].upstream",
        "unknown upstream 'crn'", "the running config stays in force");
    assertThat(lines.get(1)).contains(configFile.toString(), "not valid YAML");
  }

  @Test
  void aChangeOnlyARestartCanMakeIsRefusedSayingSo() {
    apply(Config.base());
    int logged = capturedErr.size();
    int port = sandbox.gateway().port();

    write(config(Config.base().withLate()).replace("port: \"${SANDBOX_PORT}\"", "port: 18080")
        .replace("file: \"${SANDBOX_AUDIT_FILE}\"", "file: \"${SANDBOX_AUDIT_FILE}.new\""));
    assertThat(await(sandbox.reload(LiveConfig.SIGNAL))).isEqualTo(LiveConfig.Outcome.RESTART_REQUIRED);

    assertThat(logLines(logged, "refused")).singleElement().asString()
        .contains("listener.port, audit.file cannot change while the gateway runs; restart it");
    // Nothing of that file applied: not its new caller either.
    assertThat(sandbox.gateway().port()).isEqualTo(port);
    assertThat(call(LATE_KEY, "/graph/v1.0/users/" + user()).statusCode()).isEqualTo(401);
    assertThat(call(sandbox.callerKey(), "/graph/v1.0/users/" + user()).statusCode()).isEqualTo(200);
    assertThat(reloads("restart-required")).isGreaterThanOrEqualTo(1);
  }

  @Test
  void aConfigMapSymlinkSwapIsPickedUpByTheWatch() throws Exception {
    apply(Config.base());
    assertThat(call(LATE_KEY, "/graph/v1.0/users/" + user()).statusCode()).isEqualTo(401);

    // A comment makes this file's hash one no other test has put in force.
    String withLate = config(Config.base().withLate()) + "# swapped in by the kubelet " + UUID.randomUUID() + "\n";
    swap(withLate);

    JsonObject reload = awaitReloadRecord(sha256(withLate));
    assertThat(reload.getJsonObject("config").getString("trigger")).isEqualTo("file-change");
    assertThat(call(LATE_KEY, "/graph/v1.0/users/" + user()).statusCode()).isEqualTo(200);
  }

  @Test
  void aNewServicePrincipalsSecretIsReadBeforeTheSwap() {
    apply(Config.base());
    String payrollId = UUID.randomUUID().toString();
    String payrollSecret = "payroll-secret-" + UUID.randomUUID();
    sandbox.entra().registerApp(Sandbox.TENANT, payrollId, payrollSecret, "User.Read.All");

    // Its secret is not in the vault yet: refused, naming the secret, and nothing changes.
    int logged = capturedErr.size();
    write(config(Config.base().withPayroll(payrollId)));
    assertThat(await(sandbox.reload(LiveConfig.SIGNAL))).isEqualTo(LiveConfig.Outcome.FAILED);
    assertThat(logLines(logged, "refused")).singleElement().asString()
        .contains("secret 'payroll-client-secret' not found in vault").doesNotContain(payrollSecret);
    assertThat(call(HR_KEY, "/graph/v1.0/users/" + user()).statusCode()).isEqualTo(200);

    sandbox.keyVault().putSecret("payroll-client-secret", payrollSecret);
    assertThat(await(sandbox.reload(LiveConfig.SIGNAL))).isEqualTo(LiveConfig.Outcome.APPLIED);
    // hr-sync now acts as payroll: its token comes from the new principal's secret, read once.
    HttpResponse<Buffer> asPayroll = call(HR_KEY, "/graph/v1.0/users/" + user());
    assertThat(asPayroll.statusCode()).isEqualTo(200);
    assertThat(sandbox.keyVault().reads("payroll-client-secret")).isEqualTo(1);
    assertThat(capturedErr.toString(StandardCharsets.UTF_8)).doesNotContain(payrollSecret);
    apply(Config.base());
  }

  @Test
  void auditReadersChangeLive() {
    apply(Config.base());
    assertThat(auditPage(READER_KEY).statusCode()).isEqualTo(401);
    apply(Config.base().withReader());
    assertThat(auditPage(READER_KEY).statusCode()).isEqualTo(200);
    apply(Config.base());
    assertThat(auditPage(READER_KEY).statusCode()).isEqualTo(401);
  }

  @Test
  void aRequestUnderWayFinishesUnderTheConfigItStartedWith() throws Exception {
    // An upstream that checks the bearer token and holds its answer until the test lets it go.
    var verifier = new JwksBearerVerifier(vertx, sandbox.entra().jwksUrl(Sandbox.TENANT),
        sandbox.entra().issuer(Sandbox.TENANT), GraphStandIn.AUDIENCE);
    Promise<Void> received = Promise.promise();
    Promise<Void> release = Promise.promise();
    HttpServer holding = await(vertx.createHttpServer().requestHandler(request -> {
      String authorization = request.getHeader("Authorization");
      verifier.verify(authorization == null ? "" : authorization.substring("Bearer ".length()))
          .onFailure(bad -> request.response().setStatusCode(401).end())
          .onSuccess(claims -> {
            received.tryComplete();
            release.future().onComplete(go -> request.response().end("{\"held\":true}"));
          });
    }).listen(0, "127.0.0.1"));
    try {
      apply(Config.base().withHolding(holding.actualPort()));
      var underWay = client.request(HttpMethod.GET, sandbox.gateway().port(), "127.0.0.1", "/holding/v1.0/held")
          .putHeader(ApiKeys.HEADER, HR_KEY).send();
      await(received.future());

      // Its caller, route and upstream are gone from the config in force ...
      apply(Config.base().withoutHr());
      assertThat(call(HR_KEY, "/holding/v1.0/held").statusCode()).isEqualTo(401);
      release.complete();

      // ... and it still completes, recorded as what it was when it started.
      HttpResponse<Buffer> finished = await(underWay);
      answered.put(finished.getHeader("client-request-id"), finished.statusCode());
      assertThat(finished.statusCode()).isEqualTo(200);
      assertThat(finished.bodyAsJsonObject().getBoolean("held")).isTrue();
      JsonObject record = awaitRecord(finished.getHeader("client-request-id"));
      assertThat(record.getString("caller")).isEqualTo("hr-sync");
      assertThat(record.getString("upstream")).isEqualTo("holding");
      assertThat(record.getString("rule")).startsWith("routes[1]");
    } finally {
      release.tryComplete();
      await(holding.close());
      apply(Config.base());
    }
  }

  @Test
  void reloadsUnderLoadFailNoRequestAndLoseNoRecord() throws Exception {
    apply(Config.base());
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    String gateway = "http://127.0.0.1:" + sandbox.gateway().port();
    Map<String, Integer> seen = new ConcurrentHashMap<>();
    AtomicInteger count = new AtomicInteger();
    AtomicBoolean stop = new AtomicBoolean();
    List<CompletableFuture<Void>> workers = new ArrayList<>();
    for (int w = 0; w < 8; w++) {
      int worker = w;
      workers.add(CompletableFuture.runAsync(() -> {
        for (int i = 0; !stop.get(); i++) {
          String path = (i + worker) % 2 == 0 ? "/crm/api/data/v9.2/WhoAmI" : "/graph/v1.0/users/" + user();
          HttpRequest request = HttpRequest.newBuilder(URI.create(gateway + path))
              .header(ApiKeys.HEADER, sandbox.callerKey()).timeout(Duration.ofSeconds(30)).build();
          try {
            var response = http.send(request, java.net.http.HttpResponse.BodyHandlers.ofByteArray());
            seen.put(response.headers().firstValue("client-request-id").orElseThrow(), response.statusCode());
            count.incrementAndGet();
          } catch (IOException | InterruptedException e) {
            throw new AssertionError("a request failed at the transport: " + e, e);
          }
        }
      }));
    }
    List<LiveConfig.Outcome> outcomes = new ArrayList<>();
    for (int reload = 0; reload < 6; reload++) {
      // Each reload happens while requests are under way: wait until some more have been answered.
      int before = count.get();
      awaitTrue(() -> count.get() >= before + 25, "25 more answered requests");
      write(config(reload % 2 == 0 ? Config.base().withLate() : Config.base()));
      outcomes.add(await(sandbox.reload(LiveConfig.SIGNAL)));
    }
    int before = count.get();
    awaitTrue(() -> count.get() >= before + 25, "25 more answered requests");
    stop.set(true);
    CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

    System.out.printf("reload under load: %d requests answered across %d reloads, %d not 200%n", seen.size(),
        outcomes.size(), seen.values().stream().filter(status -> status != 200).count());
    assertThat(outcomes).containsOnly(LiveConfig.Outcome.APPLIED).hasSize(6);
    assertThat(seen).hasSizeGreaterThanOrEqualTo(175);
    assertThat(seen.values()).as("statuses during the reloads").containsOnly(200);
    answered.putAll(seen); // @AfterAll: each has exactly one audit record
  }

  // ---- the config, and how it changes ----

  /** The sandbox's stand-ins fill in the ${SANDBOX_...} values. */
  record Config(String graphRules, boolean hr, boolean late, String payrollId, boolean reader, int holdingPort) {
    static Config base() {
      return new Config("\"GET /v1.0/users\", \"GET /v1.0/users/{id}\"", true, false, null, false, 0);
    }

    Config graphRules(String rules) {
      return new Config(rules, hr, late, payrollId, reader, holdingPort);
    }

    Config withoutHr() {
      return new Config(graphRules, false, late, payrollId, reader, holdingPort);
    }

    Config withLate() {
      return new Config(graphRules, hr, true, payrollId, reader, holdingPort);
    }

    Config withPayroll(String clientId) {
      return new Config(graphRules, hr, late, clientId, reader, holdingPort);
    }

    Config withReader() {
      return new Config(graphRules, hr, late, payrollId, true, holdingPort);
    }

    /** An upstream {@code holding} on that port, which hr-sync may read as finance. */
    Config withHolding(int port) {
      return new Config(graphRules, hr, late, payrollId, reader, port);
    }
  }

  static String config(Config c) {
    StringBuilder yaml = new StringBuilder("""
        listener: { host: 127.0.0.1, port: "${SANDBOX_PORT}" }
        admin: { host: 127.0.0.1, port: "${SANDBOX_ADMIN_PORT}" }
        entra: { authority: "${SANDBOX_AUTHORITY}" }
        keyVault:
          url: "${SANDBOX_VAULT_URL}"
          maxRetries: 0
          credential: { tenant: "${SANDBOX_TENANT}", clientId: "${SANDBOX_VAULT_READER_ID}", secret: "${SANDBOX_VAULT_READER_SECRET}" }
        tls: { trustPemFiles: [ "${SANDBOX_TRUST_PEM}" ] }
        servicePrincipals:
          finance: { tenant: "${SANDBOX_TENANT}", clientId: "${SANDBOX_FINANCE_ID}", secret: { keyVault: finance-client-secret } }
        """);
    if (c.payrollId() != null) {
      yaml.append("  payroll: { tenant: \"${SANDBOX_TENANT}\", clientId: \"").append(c.payrollId())
          .append("\", secret: { keyVault: payroll-client-secret } }\n");
    }
    yaml.append("""
        upstreams:
          graph: { url: "${SANDBOX_GRAPH_URL}", kind: graph, resource: https://graph.microsoft.com }
          crm: { url: "${SANDBOX_DATAVERSE_URL}", kind: dataverse, resource: https://contoso.crm.dynamics.com }
        %s
        callers:
          invoice-flow:
            apiKey: { sha256: "${SANDBOX_CALLER_KEY_SHA256}" }
            routes:
              - { upstream: graph, as: finance, allow: [ %s ] }
              - { upstream: crm, as: finance, allow: [ "GET /api/data/v9.2/WhoAmI" ] }
        """.formatted(c.holdingPort() == 0 ? "" : "  holding: { url: \"http://127.0.0.1:" + c.holdingPort()
            + "\", kind: graph, resource: https://graph.microsoft.com }", c.graphRules()));
    if (c.hr()) {
      yaml.append("""
            hr-sync:
              apiKey: { sha256: "%s" }
              routes:
                - { upstream: graph, as: %s, allow: [ "GET /v1.0/users/{id}" ] }
          """.formatted(ApiKeys.sha256Hex(HR_KEY), c.payrollId() == null ? "finance" : "payroll"));
      if (c.holdingPort() != 0) yaml.append("      - { upstream: holding, as: finance, allow: [ \"GET /v1.0/held\" ] }\n");
    }
    if (c.late()) {
      yaml.append("""
            late-flow:
              apiKey: { sha256: "%s" }
              limits: { perSecond: 50, burst: 100 }
              routes: [ { upstream: graph, as: finance, allow: [ "GET /v1.0/users/{id}" ] } ]
          """.formatted(ApiKeys.sha256Hex(LATE_KEY)));
    }
    yaml.append("audit:\n  file: \"${SANDBOX_AUDIT_FILE}\"\n");
    if (c.reader()) {
      yaml.append("  readers: [ { name: auditors, apiKey: { sha256: \"")
          .append(ApiKeys.sha256Hex(READER_KEY)).append("\" } } ]\n");
    }
    return yaml.toString();
  }

  /** Writes the file in place (through the symlinks): the watch does not see it, only a reload does. */
  private void write(String yaml) {
    try {
      Files.writeString(configFile, yaml);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** Writes and reloads; the outcome is applied, or unchanged when that config is in force already. */
  private void apply(Config config) {
    write(config(config));
    assertThat(await(sandbox.reload(LiveConfig.SIGNAL)))
        .isIn(LiveConfig.Outcome.APPLIED, LiveConfig.Outcome.UNCHANGED);
  }

  /** What the kubelet does: a new timestamped directory, {@code ..data} renamed onto it, the old one gone. */
  private void swap(String yaml) throws IOException {
    Path old = Files.readSymbolicLink(configMap.resolve("..data"));
    Path next = Files.createDirectories(configMap.resolve("..2026_11_22_04_00_0" + (++swaps)));
    Files.writeString(next.resolve("gateway.yaml"), yaml);
    Path tmp = Files.createSymbolicLink(configMap.resolve("..data_tmp"), next.getFileName());
    Files.move(tmp, configMap.resolve("..data"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    Path oldDir = configMap.resolve(old);
    try (var files = Files.list(oldDir)) {
      for (Path file : files.toList()) Files.delete(file);
    }
    Files.delete(oldDir);
  }

  // ---- what the gateway shows ----

  private HttpResponse<Buffer> call(String key, String path) {
    HttpResponse<Buffer> response = await(client.request(HttpMethod.GET, sandbox.gateway().port(), "127.0.0.1", path)
        .putHeader(ApiKeys.HEADER, key).send());
    answered.put(response.getHeader("client-request-id"), response.statusCode());
    return response;
  }

  private HttpResponse<Buffer> auditPage(String key) {
    return await(client.get(sandbox.gateway().adminPort(), "127.0.0.1", "/audit/records?limit=1")
        .putHeader("Authorization", "Bearer " + key).send());
  }

  /** {@code gateway_config_reloads_total} for one outcome, from the admin port. */
  private double reloads(String outcome) {
    String metrics = await(client.get(sandbox.gateway().adminPort(), "127.0.0.1", "/metrics").send()).bodyAsString();
    Matcher matcher = RELOADS.matcher(metrics);
    Set<String> outcomes = new java.util.HashSet<>();
    double value = -1;
    while (matcher.find()) {
      outcomes.add(matcher.group(1));
      if (matcher.group(1).equals(outcome)) value = Double.parseDouble(matcher.group(2));
    }
    // Every outcome is there from the start, at 0 until it happens.
    assertThat(outcomes).contains("applied", "unchanged", "invalid", "restart-required", "failed");
    return value;
  }

  /** The reload record for the config with this hash, once the writer has it on disk (it flushes every 100 ms). */
  private JsonObject awaitReloadRecord(String sha256) {
    JsonObject[] found = new JsonObject[1];
    awaitTrue(() -> {
      try {
        for (String line : Files.readAllLines(sandbox.auditFile())) {
          JsonObject record = new JsonObject(line);
          JsonObject config = record.getJsonObject("config");
          if (config != null && sha256.equals(config.getString("sha256"))) found[0] = record;
        }
        return found[0] != null;
      } catch (IOException e) {
        throw new AssertionError(e);
      }
    }, "a reload record for config " + sha256);
    assertThat(found[0].getString("outcome")).isEqualTo("reloaded");
    return found[0];
  }

  /** The record of one request, once the writer has it on disk. */
  private JsonObject awaitRecord(String requestId) {
    JsonObject[] found = new JsonObject[1];
    awaitTrue(() -> {
      try {
        for (String line : Files.readAllLines(sandbox.auditFile())) {
          JsonObject record = new JsonObject(line);
          if (requestId.equals(record.getString("requestId"))) found[0] = record;
        }
        return found[0] != null;
      } catch (IOException e) {
        throw new AssertionError(e);
      }
    }, "the record of request " + requestId);
    return found[0];
  }

  /** Log lines written since {@code from} that contain {@code word}. */
  private List<String> logLines(int from, String word) {
    String text = new String(capturedErr.toByteArray(), from, capturedErr.size() - from, StandardCharsets.UTF_8);
    return text.lines().filter(line -> line.contains("LiveConfig") && line.contains(word)).toList();
  }

  /** Waits for something the gateway shows (a record, a count): bounded, polling, never a fixed sleep. */
  private static void awaitTrue(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("not within 30 s: " + what);
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
  }

  private static void assertReloadRecordsMatchTheSchema(List<JsonObject> records) throws IOException {
    JsonObject schema = new JsonObject(Files.readString(Path.of("docs/audit-record.schema.json")));
    Set<String> known = schema.getJsonObject("properties").fieldNames();
    JsonObject config = schema.getJsonObject("properties").getJsonObject("config");
    List<JsonObject> reloads = records.stream().filter(r -> "reloaded".equals(r.getString("outcome"))).toList();
    assertThat(reloads).isNotEmpty();
    for (JsonObject record : reloads) {
      assertThat(known).containsAll(record.fieldNames());
      assertThat(record.getInteger("status")).isZero();
      assertThat(record.getJsonObject("config").getString("sha256")).matches("[0-9a-f]{64}");
      assertThat(config.getJsonObject("properties").getJsonObject("trigger").getJsonArray("enum").getList())
          .contains(record.getJsonObject("config").getString("trigger"));
    }
  }

  private static String user() {
    return GraphStandIn.userIds().get(0);
  }

  private static String sha256(String text) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
  }
}
