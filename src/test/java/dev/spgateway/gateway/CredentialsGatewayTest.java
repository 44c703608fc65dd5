package dev.spgateway.gateway;

import static dev.spgateway.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.config.ConfigLoader;
import dev.spgateway.credential.KeyVaultSecrets;
import dev.spgateway.credential.TokenService;
import dev.spgateway.identity.ApiKeys;
import dev.spgateway.sandbox.EntraStandIn;
import dev.spgateway.sandbox.GraphStandIn;
import dev.spgateway.sandbox.JwksBearerVerifier;
import dev.spgateway.sandbox.KeyVaultStandIn;
import dev.spgateway.sandbox.SelfSignedTls;
import dev.spgateway.testing.MutableClock;
import dev.spgateway.testing.TeeStream;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kind of service principal credential, rotation and token failures, end to end with real parts: the Entra ID
 * stand-in (checks secrets, certificate assertions against uploaded certificates, federated tokens against the
 * issuer's key, and serves a managed identity endpoint), the Azure SDK reading the HTTPS Key Vault stand-in, and
 * upstreams that verify every bearer token. Time is a {@link MutableClock} shared by all of them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CredentialsGatewayTest {

  static final String TENANT = "5a9d0000-5a9d-4000-8000-00000000c0de";
  static final String FINANCE_ID = "1b4c0000-0000-4000-8000-00000000a11c";
  static final String OPS_ID = "2b4c0000-0000-4000-8000-00000000a22c";
  static final String DESK_ID = "3b4c0000-0000-4000-8000-00000000a33c";
  static final String REPORTS_ID = "4b4c0000-0000-4000-8000-00000000a44c";
  static final String STRANGER_ID = "5b4c0000-0000-4000-8000-00000000a55c";
  static final String PODS_ID = "6b4c0000-0000-4000-8000-00000000a66c";
  static final String NODE_ID = "7b4c0000-0000-4000-8000-00000000a77c";
  static final String WEBAPP_ID = "7b4c0000-0000-4000-8000-00000000a77d";
  static final String VAULT_READER_ID = "8b4c0000-0000-4000-8000-00000000a88c";
  static final String PAYROLL_ID = "9b4c0000-0000-4000-8000-00000000a99c";
  static final String PAYROLL_SECRET = "payroll-" + ApiKeys.generate();
  static final String PAYROLL_TYPO = "payroll-typo-" + ApiKeys.generate();
  static final String NEWCOMER_ID = "ab4c0000-0000-4000-8000-00000000aaac";
  static final String NEWCOMER_SECRET = "newcomer-" + ApiKeys.generate();
  static final String FEDERATION_ISSUER = "https://oidc.prod-aks.azure.com/5a9d0000/";
  static final String POD_SUBJECT = "system:serviceaccount:flows:sp-gateway";
  static final String ECHO_AUDIENCE = "https://echo.example";
  static final String GRAPH_SCOPE = "https://graph.microsoft.com/.default";
  static final String FINANCE_SECRET_1 = "finance-one-" + ApiKeys.generate();
  static final String FINANCE_SECRET_2 = "finance-two-" + ApiKeys.generate();
  static final String OPS_SECRET_1 = "ops-one-" + ApiKeys.generate();
  static final String OPS_SECRET_2 = "ops-two-" + ApiKeys.generate();
  static final String DESK_SECRET = "desk-" + ApiKeys.generate();
  static final String VAULT_READER_SECRET = "reader-" + ApiKeys.generate();
  static final String CALLER_KEY = ApiKeys.generate();
  /** A trusted caller's key: its problem answers carry the operators' detail (callers.operator.diagnostics). */
  static final String OPERATOR_KEY = ApiKeys.generate();

  final MutableClock clock = new MutableClock(Instant.now());
  final ByteArrayOutputStream capturedErr = new ByteArrayOutputStream();
  PrintStream originalErr;
  Vertx vertx;
  EntraStandIn entra;
  KeyVaultStandIn vault;
  GraphStandIn graph;
  EchoUpstream echo;
  Gateway gateway;
  PrometheusMeterRegistry registry;
  WebClient client;
  Path tokenFile;
  KeyPair federationIssuer;
  String userId;
  Map<String, String> values;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    originalErr = System.err;
    System.setErr(new PrintStream(new TeeStream(originalErr, capturedErr), true));
    vertx = Vertx.vertx();
    entra = new EntraStandIn(vertx).clock(clock)
        .registerApp(TENANT, FINANCE_ID, FINANCE_SECRET_1, "User.Read.All")
        .registerApp(TENANT, OPS_ID, OPS_SECRET_1, "User.Read.All")
        .registerApp(TENANT, DESK_ID, DESK_SECRET, "User.Read.All")
        .registerApp(TENANT, PAYROLL_ID, PAYROLL_SECRET, "User.Read.All")
        .registerApp(TENANT, NEWCOMER_ID, NEWCOMER_SECRET, "User.Read.All")
        .registerApp(TENANT, VAULT_READER_ID, VAULT_READER_SECRET)
        .registerApp(TENANT, REPORTS_ID, null, "User.Read.All")
        .registerApp(TENANT, STRANGER_ID, null, "User.Read.All")
        .registerApp(TENANT, PODS_ID, null, "User.Read.All")
        .registerManagedIdentity(TENANT, NODE_ID, "User.Read.All")
        .registerManagedIdentity(TENANT, WEBAPP_ID, "User.Read.All");
    await(entra.start());

    SelfSignedTls reportsCertificate = SelfSignedTls.generate();
    SelfSignedTls strangersUploaded = SelfSignedTls.generate();
    SelfSignedTls strangersOwn = SelfSignedTls.generate(); // not the one uploaded: a wrong key
    entra.addCertificate(TENANT, REPORTS_ID, reportsCertificate.certificate());
    entra.addCertificate(TENANT, STRANGER_ID, strangersUploaded.certificate());
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    federationIssuer = generator.generateKeyPair();
    entra.addFederatedCredential(TENANT, PODS_ID, FEDERATION_ISSUER, POD_SUBJECT, federationIssuer.getPublic());
    tokenFile = dir.resolve("azure-identity-token");
    Files.writeString(tokenFile, federatedToken(clock.instant().plus(Duration.ofHours(1))));

    SelfSignedTls tls = SelfSignedTls.generate();
    Path trustPem = Files.writeString(dir.resolve("vault.pem"), tls.certificatePem());
    String issuer = entra.issuer(TENANT);
    String jwks = entra.jwksUrl(TENANT);
    // The SDK caches the gateway's vault token by real time, and a run takes seconds: the vault judges it at the
    // start time, or a test that moves the clock past an hour would see Key Vault refuse a token the SDK keeps.
    Clock vaultClock = Clock.fixed(clock.instant(), ZoneOffset.UTC);
    vault = await(new KeyVaultStandIn(vertx, new JwksBearerVerifier(vertx, jwks, issuer, KeyVaultStandIn.RESOURCE,
        vaultClock), TENANT, tls)
        .putSecret("finance-secret", FINANCE_SECRET_1, clock.instant().plus(Duration.ofDays(20)), null)
        .putSecret("ops-secret", OPS_SECRET_1)
        .putSecret("desk-secret", DESK_SECRET)
        .putSecret("payroll-secret", PAYROLL_SECRET)
        .putSecret("newcomer-secret", NEWCOMER_SECRET)
        .putSecret("reports-cert", reportsCertificate.pkcs12Base64(), null, "application/x-pkcs12")
        .putSecret("stranger-cert", strangersOwn.keyAndCertificatePem(), null, "application/x-pem-file")
        .start());
    graph = await(new GraphStandIn(vertx, new JwksBearerVerifier(vertx, jwks, issuer, GraphStandIn.AUDIENCE, clock))
        .start());
    echo = await(new EchoUpstream(vertx, new JwksBearerVerifier(vertx, jwks, issuer, ECHO_AUDIENCE, clock)).start());
    userId = GraphStandIn.userIds().get(0);

    values = Map.ofEntries(
        Map.entry("AUTHORITY", entra.baseUrl()),
        Map.entry("IMDS_URL", entra.imdsUrl()),
        Map.entry("MSI_URL", entra.appServiceIdentityUrl()),
        Map.entry("MSI_HEADER", entra.appServiceIdentityHeader()),
        Map.entry("VAULT_URL", vault.vaultUrl()),
        Map.entry("VAULT_READER_SECRET", VAULT_READER_SECRET),
        Map.entry("TRUST_PEM", trustPem.toString()),
        Map.entry("GRAPH_URL", graph.baseUrl()),
        Map.entry("ECHO_URL", echo.baseUrl()),
        Map.entry("TOKEN_FILE", tokenFile.toString()),
        Map.entry("AUDIT_FILE", dir.resolve("audit.jsonl").toString()),
        Map.entry("CALLER_KEY_SHA256", ApiKeys.sha256Hex(CALLER_KEY)),
        Map.entry("OPERATOR_KEY_SHA256", ApiKeys.sha256Hex(OPERATOR_KEY)));
    var config = new ConfigLoader(values::get).parse("credentials-test.yaml", CONFIG);
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // A cold JVM on a busy machine: the first Key Vault reads load much of the Azure SDK.
    gateway = Gateway.start(vertx, config, registry, clock).toCompletionStage().toCompletableFuture()
        .get(2, java.util.concurrent.TimeUnit.MINUTES);
    client = WebClient.create(vertx, new WebClientOptions(), new PoolOptions().setHttp1MaxSize(128));
  }

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
        finance:  { tenant: %1$s, clientId: %3$s, secret: { keyVault: finance-secret } }
        ops:      { tenant: %1$s, clientId: %4$s, secret: { keyVault: ops-secret } }
        desk:     { tenant: %1$s, clientId: %5$s, secret: { keyVault: desk-secret } }
        payroll:  { tenant: %1$s, clientId: %10$s, secret: { keyVault: payroll-secret } }
        reports:  { tenant: %1$s, clientId: %6$s, certificate: { keyVault: reports-cert } }
        stranger: { tenant: %1$s, clientId: %7$s, certificate: { keyVault: stranger-cert } }
        pods:     { tenant: %1$s, clientId: %8$s, federated: { tokenFile: "${TOKEN_FILE}" } }
        node:     { managedIdentity: { clientId: %9$s, endpoint: "${IMDS_URL}" } }
        webapp:   { managedIdentity: { clientId: %11$s, endpoint: "${MSI_URL}", identityHeader: "${MSI_HEADER}" } }
      upstreams:
        graph-finance:  { url: "${GRAPH_URL}", kind: graph, resource: https://graph.microsoft.com }
        graph-ops:      { url: "${GRAPH_URL}", kind: graph, resource: https://graph.microsoft.com }
        graph-desk:     { url: "${GRAPH_URL}", kind: graph, resource: https://graph.microsoft.com }
        graph-payroll:  { url: "${GRAPH_URL}", kind: graph, resource: https://graph.microsoft.com }
        graph-reports:  { url: "${GRAPH_URL}", kind: graph, resource: https://graph.microsoft.com }
        graph-stranger: { url: "${GRAPH_URL}", kind: graph, resource: https://graph.microsoft.com }
        graph-pods:     { url: "${GRAPH_URL}", kind: graph, resource: https://graph.microsoft.com }
        graph-node:     { url: "${GRAPH_URL}", kind: graph, resource: https://graph.microsoft.com }
        graph-webapp:   { url: "${GRAPH_URL}", kind: graph, resource: https://graph.microsoft.com }
        echo-desk:      { url: "${ECHO_URL}", kind: graph, resource: https://echo.example }
      callers:
        flow:
          apiKey: { sha256: "${CALLER_KEY_SHA256}" }
          routes:
            - { upstream: graph-finance, as: finance, allow: [ "GET /v1.0/users/{id}" ] }
            - { upstream: graph-ops, as: ops, allow: [ "GET /v1.0/users/{id}" ] }
            - { upstream: graph-desk, as: desk, allow: [ "GET /v1.0/users/{id}" ] }
            - { upstream: graph-payroll, as: payroll, allow: [ "GET /v1.0/users/{id}" ] }
            - { upstream: graph-reports, as: reports, allow: [ "GET /v1.0/users/{id}" ] }
            - { upstream: graph-stranger, as: stranger, allow: [ "GET /v1.0/users/{id}" ] }
            - { upstream: graph-pods, as: pods, allow: [ "GET /v1.0/users/{id}" ] }
            - { upstream: graph-node, as: node, allow: [ "GET /v1.0/users/{id}" ] }
            - { upstream: graph-webapp, as: webapp, allow: [ "GET /v1.0/users/{id}" ] }
            - { upstream: echo-desk, as: desk, allow: [ "GET /anything" ] }
        operator:
          apiKey: { sha256: "${OPERATOR_KEY_SHA256}" }
          diagnostics: true
          routes:
            - { upstream: graph-stranger, as: stranger, allow: [ "GET /v1.0/users/{id}" ] }
      audit: { file: "${AUDIT_FILE}" }
      """.formatted(TENANT, VAULT_READER_ID, FINANCE_ID, OPS_ID, DESK_ID, REPORTS_ID, STRANGER_ID, PODS_ID, NODE_ID,
          PAYROLL_ID, WEBAPP_ID);

  @AfterAll
  void stop() {
    try {
      await(gateway.close());
      String logs = capturedErr.toString(StandardCharsets.UTF_8);
      for (String secret : List.of(FINANCE_SECRET_1, FINANCE_SECRET_2, OPS_SECRET_1, OPS_SECRET_2, DESK_SECRET,
          VAULT_READER_SECRET, CALLER_KEY, OPERATOR_KEY, PAYROLL_SECRET, PAYROLL_TYPO, NEWCOMER_SECRET,
          entra.appServiceIdentityHeader())) {
        assertThat(logs).doesNotContain(secret);
      }
      assertThat(logs).doesNotContain("has been blocked for").doesNotContain("failed unexpectedly");
    } finally {
      System.setErr(originalErr);
      await(vertx.close());
    }
  }

  @Test
  void everyKindOfCredentialGetsATokenTheUpstreamAcceptsAndAWrongCertificateIsRefusedWithItsAadstsCode()
      throws Exception {
    freshPodToken();
    Map<String, String> clientIds = Map.of("finance", FINANCE_ID, "reports", REPORTS_ID, "pods", PODS_ID,
        "node", NODE_ID, "webapp", WEBAPP_ID);
    clientIds.forEach((principal, clientId) -> {
      assertThat(call("/graph-" + principal + "/v1.0/users/" + userId).statusCode()).as(principal).isEqualTo(200);
      String token = graph.received().get(graph.received().size() - 1).header("Authorization").substring(7);
      assertThat(claims(token).getString("appid")).as(principal).isEqualTo(clientId);
    });

    // The stranger signs its assertion with a key whose certificate was never uploaded to its app registration.
    var refused = call("/graph-stranger/v1.0/users/" + userId);
    assertThat(refused.statusCode()).isEqualTo(502);
    assertThat(refused.bodyAsJsonObject().getString("type")).isEqualTo("urn:sp-gateway:problem:token-request-failed");
    assertThat(refused.bodyAsJsonObject().containsKey("operatorDetail")).as("a caller is told little").isFalse();
    // A caller trusted with diagnostics is told what the operators see: whose token, and Entra ID's code.
    var toldMore = await(client.get(gateway.port(), "127.0.0.1", "/graph-stranger/v1.0/users/" + userId)
        .putHeader(ApiKeys.HEADER, OPERATOR_KEY).send());
    assertThat(toldMore.statusCode()).isEqualTo(502);
    assertThat(toldMore.bodyAsJsonObject().getString("detail")).isEqualTo(refused.bodyAsJsonObject().getString("detail"));
    assertThat(toldMore.bodyAsJsonObject().getString("operatorDetail")).contains("'stranger'", "AADSTS700027");

    // The gateway started all the same; readiness names the one (principal, scope) that cannot get a token.
    var ready = await(client.get(gateway.adminPort(), "127.0.0.1", "/health/ready").send());
    assertThat(ready.statusCode()).isEqualTo(503);
    assertThat(ready.bodyAsJsonObject().getJsonObject("tokens").fieldNames())
        .containsExactly("stranger " + GRAPH_SCOPE);
    assertThat(ready.bodyAsJsonObject().getJsonObject("tokens").getString("stranger " + GRAPH_SCOPE))
        .contains("AADSTS700027");
  }

  @Test
  void aSecretNearItsExpiryIsWarnedAboutOnceAndItsExpiryIsAGauge() {
    String scrape = registry.scrape();
    assertThat(scrape).containsPattern("gateway_credential_expiry_seconds\\{service_principal=\"finance\"} [0-9.E]+");
    double seconds = registry.get(TokenService.EXPIRY_METER).tag("service_principal", "finance").gauge().value();
    assertThat(seconds).isPositive().isLessThanOrEqualTo(Duration.ofDays(180).toSeconds());
    String logs = capturedErr.toString(StandardCharsets.UTF_8);
    assertThat(logs.lines().filter(line -> line.contains("secret 'finance-secret'") && line.contains("expires on")))
        .hasSize(1);
  }

  @Test
  void aFederatedTokenFileReplacedMidRunIsUsedForTheNextToken() throws Exception {
    freshPodToken();
    assertThat(call("/graph-pods/v1.0/users/" + userId).statusCode()).isEqualTo(200);
    double refusedBefore = requests("pods", "invalid_client");
    // The kubelet projects a fresh token before the old one expires; then the old one expires at Entra.
    Files.writeString(tokenFile, federatedToken(clock.instant().plus(Duration.ofHours(3))));
    clock.advance(Duration.ofMinutes(61));

    assertThat(call("/graph-pods/v1.0/users/" + userId).statusCode()).isEqualTo(200);
    assertThat(requests("pods", "success")).isGreaterThanOrEqualTo(2);
    assertThat(requests("pods", "invalid_client")).isEqualTo(refusedBefore); // the expired one was never sent
  }

  @Test
  void rotationUnderLoadFailsNoCall() {
    double vaultReadsBefore = vault.reads("finance-secret");
    double tokensBefore = requests("finance", "success");
    String path = "/graph-finance/v1.0/users/" + userId;
    List<Integer> statuses = new ArrayList<>();
    String newVersion = null;
    for (int wave = 0; wave < 12; wave++) {
      List<Future<HttpResponse<Buffer>>> calls = IntStream.range(0, 100).mapToObj(i -> send(path)).toList();
      switch (wave) {
        case 3 -> { // the operator adds a second secret to the app and writes it to Key Vault
          entra.addSecret(TENANT, FINANCE_ID, FINANCE_SECRET_2);
          vault.putSecret("finance-secret", FINANCE_SECRET_2, clock.instant().plus(Duration.ofDays(180)), null);
          newVersion = vault.latestVersion("finance-secret");
        }
        case 4 -> await(gateway.refreshSecrets()); // the keyVault.refresh timer fires
        case 5 -> clock.advance(Duration.ofMinutes(56)); // the token is renewed ahead of its expiry, with the new secret
        case 7 -> entra.revokeSecret(TENANT, FINANCE_ID, FINANCE_SECRET_1); // then the old secret is deleted
        case 9 -> clock.advance(Duration.ofMinutes(61)); // and the next token is asked for with the new one
        default -> { }
      }
      await(Future.join(calls));
      calls.forEach(call -> statuses.add(call.result().statusCode()));
      await(gateway.tokens().pendingRefresh("finance", GRAPH_SCOPE));
    }

    assertThat(statuses).hasSize(1200).containsOnly(200);
    assertThat(vault.reads("finance-secret") - vaultReadsBefore).as("Key Vault reads").isEqualTo(1);
    assertThat(requests("finance", "success") - tokensBefore).as("token requests").isBetween(2.0, 3.0);
    assertThat(requests("finance", "invalid_client")).isZero();
    String logs = capturedErr.toString(StandardCharsets.UTF_8);
    assertThat(logs).contains("secret 'finance-secret' has a new version " + newVersion)
        .contains("service principal 'finance' now signs in with version " + newVersion);
  }

  @Test
  void anExpiredSecretIsReadAgainAtOnceAndTheCallSucceeds() {
    assertThat(call("/graph-ops/v1.0/users/" + userId).statusCode()).isEqualTo(200);
    double vaultReadsBefore = vault.reads("ops-secret");
    int tokenRequestsBefore = entra.tokenRequests();
    // The new secret reached the vault, but the gateway's hourly refresh has not read it yet when the old one expires.
    entra.addSecret(TENANT, OPS_ID, OPS_SECRET_2);
    vault.putSecret("ops-secret", OPS_SECRET_2);
    entra.expireSecret(TENANT, OPS_ID, OPS_SECRET_1);
    clock.advance(Duration.ofMinutes(61));

    assertThat(call("/graph-ops/v1.0/users/" + userId).statusCode()).isEqualTo(200);
    assertThat(vault.reads("ops-secret") - vaultReadsBefore).isEqualTo(1);
    // The old secret, refused with AADSTS7000222; then, after the re-read, the new one.
    assertThat(entra.tokenRequests() - tokenRequestsBefore).isEqualTo(2);
    assertThat(capturedErr.toString(StandardCharsets.UTF_8))
        .contains("service principal 'ops' now signs in with version " + vault.latestVersion("ops-secret"));
  }

  @Test
  void entraDownWithExpiredTokensUnderLoadCostsOneTokenRequestPerBackOffAndOneLogLine() {
    String path = "/graph-desk/v1.0/users/" + userId;
    assertThat(call(path).statusCode()).isEqualTo(200);
    int logStart = capturedErr.size();
    entra.failNext(1_000_000, 503, "temporarily_unavailable", 90033);
    try {
      clock.advance(Duration.ofMinutes(61)); // every cached token has expired
      int before = entra.tokenRequests();
      List<Integer> statuses = new ArrayList<>();
      List<String> retryAfter = new ArrayList<>();
      for (int wave = 0; wave < 6; wave++) {
        List<Future<HttpResponse<Buffer>>> calls = IntStream.range(0, 200).mapToObj(i -> send(path)).toList();
        await(Future.join(calls));
        calls.forEach(call -> {
          statuses.add(call.result().statusCode());
          retryAfter.add(call.result().getHeader("Retry-After"));
        });
        await(gateway.tokens().pendingRefresh("desk", GRAPH_SCOPE));
        if (wave % 2 == 1) clock.advance(Duration.ofSeconds(2L << (wave / 2))); // the back-off: 2 s, 4 s, 8 s
      }
      // 1,200 calls: one request when the token was found expired, then one per back-off interval (2 s, 4 s).
      assertThat(statuses).hasSize(1200).containsOnly(503);
      assertThat(retryAfter).doesNotContainNull();
      assertThat(entra.tokenRequests() - before).isEqualTo(3);
      String episode = capturedErr.toString(StandardCharsets.UTF_8).substring(logStart);
      assertThat(episode.lines().filter(line -> line.contains("'desk'") && line.contains("temporarily_unavailable")))
          .hasSize(1);

      entra.failNext(0, 0, null, 0);
      assertThat(call(path).statusCode()).as("answered from the back-off").isEqualTo(503);
      await(gateway.tokens().pendingRefresh("desk", GRAPH_SCOPE));
      assertThat(call(path).statusCode()).as("recovered").isEqualTo(200);
      assertThat(entra.tokenRequests() - before).isEqualTo(4);
      assertThat(capturedErr.toString(StandardCharsets.UTF_8).substring(logStart))
          .contains("service principal 'desk' gets tokens for scope '" + GRAPH_SCOPE + "' again");
    } finally {
      entra.failNext(0, 0, null, 0);
    }
  }

  @Test
  void anUpstreamRefusingEveryTokenCostsOneTokenRequestPerWindowAndAnswers502() {
    echo.refuseEveryToken();
    assertThat(call("/echo-desk/anything").statusCode()).isEqualTo(502); // evicts once, and the retry is refused too
    int before = entra.tokenRequests();

    List<Future<HttpResponse<Buffer>>> calls = IntStream.range(0, 100).mapToObj(i -> send("/echo-desk/anything")).toList();
    await(Future.join(calls));
    assertThat(entra.tokenRequests() - before).as("within the window").isZero();

    clock.advance(Duration.ofSeconds(31));
    List<Future<HttpResponse<Buffer>>> later = IntStream.range(0, 100).mapToObj(i -> send("/echo-desk/anything")).toList();
    await(Future.join(later));
    assertThat(entra.tokenRequests() - before).as("next window").isEqualTo(1);

    for (var call : concat(calls, later)) {
      assertThat(call.result().statusCode()).isEqualTo(502);
      assertThat(call.result().getHeader("WWW-Authenticate")).isNull();
      JsonObject problem = call.result().bodyAsJsonObject();
      assertThat(problem.getString("type")).isEqualTo("urn:sp-gateway:problem:upstream-rejected-token");
      assertThat(problem.getString("detail")).contains("refused the token").doesNotContain("desk");
    }
  }

  @Test
  void aNewVersionEntraRefusesIsTriedOnceAndTheOldOneStaysInUse() {
    assertThat(call("/graph-payroll/v1.0/users/" + userId).statusCode()).isEqualTo(200);
    int logStart = capturedErr.size();
    vault.putSecret("payroll-secret", PAYROLL_TYPO); // written to the vault, never added to the app registration
    await(gateway.refreshSecrets());
    clock.advance(Duration.ofMinutes(61));

    assertThat(call("/graph-payroll/v1.0/users/" + userId).statusCode()).isEqualTo(200);
    clock.advance(Duration.ofMinutes(61));
    assertThat(call("/graph-payroll/v1.0/users/" + userId).statusCode()).as("the typo is not tried again").isEqualTo(200);
    assertThat(requests("payroll", "invalid_client")).isZero();
    assertThat(capturedErr.toString(StandardCharsets.UTF_8).substring(logStart).lines()
        .filter(line -> line.contains("Entra ID refused the new version " + vault.latestVersion("payroll-secret"))))
        .hasSize(1);
  }

  @Test
  void keyVaultDownDuringARefreshKeepsTheCredentialsInUseAndIsLoggedOnce() {
    int logStart = capturedErr.size();
    double failedReads = vaultReads("error");
    vault.unavailable(true);
    try {
      await(gateway.refreshSecrets());
      await(gateway.refreshSecrets());
      clock.advance(Duration.ofMinutes(61)); // tokens are asked for again with the secrets held
      assertThat(call("/graph-desk/v1.0/users/" + userId).statusCode()).isEqualTo(200);
    } finally {
      vault.unavailable(false);
    }
    await(gateway.refreshSecrets());
    String logs = capturedErr.toString(StandardCharsets.UTF_8).substring(logStart);
    assertThat(logs.lines().filter(line -> line.contains("Key Vault refresh failed"))).hasSize(1);
    assertThat(logs).contains("can be read again");
    assertThat(vaultReads("error") - failedReads).as("every failed read counted").isGreaterThanOrEqualTo(2 * 6);
  }

  @Test
  void aVaultCredentialEntraRefusesStopsTheStartWithOneReasonAndNoRetries() {
    int logStart = capturedErr.size();
    int before = entra.tokenRequests();
    Map<String, String> wrong = new java.util.HashMap<>(values);
    wrong.put("VAULT_READER_SECRET", "not-the-reader-secret");
    wrong.put("AUDIT_FILE", values.get("AUDIT_FILE") + ".second");
    var config = new ConfigLoader(wrong::get).parse("credentials-test.yaml", CONFIG);

    Throwable failure = dev.spgateway.testing.Await.awaitFailure(
        Gateway.start(vertx, config, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), clock));

    assertThat(failure.getMessage()).contains("AADSTS7000215", "keyVault.credential").doesNotContain("not-the-reader-secret");
    assertThat(entra.tokenRequests() - before).as("one vault token request, no retries").isEqualTo(1);
    String logs = capturedErr.toString(StandardCharsets.UTF_8).substring(logStart);
    assertThat(logs).doesNotContain(" ERROR ").doesNotContain("not-the-reader-secret");
  }

  @Test
  void aReloadReadsANewPrincipalsSecretFirstAndKeepsTheOthersTokens() {
    String before = await(gateway.tokens().token("desk", GRAPH_SCOPE)).value();
    String next = CONFIG.replace("\nupstreams:\n", "\n  newcomer: { tenant: " + TENANT + ", clientId: " + NEWCOMER_ID
        + ", secret: { keyVault: newcomer-secret } }\nupstreams:\n");
    var config = new ConfigLoader(values::get).parse("credentials-test.yaml", next);

    await(gateway.reload(config, "0".repeat(64), "test"));

    assertThat(vault.reads("newcomer-secret")).as("read during the reload").isEqualTo(1);
    assertThat(await(gateway.tokens().token("newcomer", GRAPH_SCOPE)).value()).isNotBlank();
    assertThat(await(gateway.tokens().token("desk", GRAPH_SCOPE)).value()).as("unchanged: still cached").isEqualTo(before);

    var broken = new ConfigLoader(values::get).parse("credentials-test.yaml", next.replace("newcomer-secret", "no-such-secret"));
    Throwable refused = dev.spgateway.testing.Await.awaitFailure(gateway.reload(broken, "1".repeat(64), "test"));
    assertThat(refused.getMessage()).contains("'no-such-secret'", "not found");
  }

  private double vaultReads(String outcome) {
    return registry.find(KeyVaultSecrets.READS_METER).tag("outcome", outcome).counters().stream()
        .mapToDouble(io.micrometer.core.instrument.Counter::count).sum();
  }

  private static <T> List<T> concat(List<T> a, List<T> b) {
    List<T> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  private double requests(String principal, String outcome) {
    var counter = registry.find("gateway.token.requests").tags("service_principal", principal, "outcome", outcome)
        .counter();
    return counter == null ? 0 : counter.count();
  }

  private Future<HttpResponse<Buffer>> send(String path) {
    return client.get(gateway.port(), "127.0.0.1", path).putHeader(ApiKeys.HEADER, CALLER_KEY).send();
  }

  private HttpResponse<Buffer> call(String path) {
    return await(send(path));
  }

  private static JsonObject claims(String jwt) {
    return new JsonObject(new String(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]), StandardCharsets.UTF_8));
  }

  /**
   * A token file valid for an hour, and the pod principal's token asked for with it: other tests move the clock
   * by hours, so the file left by an earlier one may have expired and put the principal in a back-off (at most
   * 2 min), which a caller's call ends with one background request.
   */
  private void freshPodToken() throws Exception {
    Files.writeString(tokenFile, federatedToken(clock.instant().plus(Duration.ofHours(1))));
    clock.advance(Duration.ofMinutes(2).plusSeconds(1));
    call("/graph-pods/v1.0/users/" + userId);
    await(gateway.tokens().pendingRefresh("pods", GRAPH_SCOPE));
  }

  /** What AKS projects into the pod: a JWT of the cluster's issuer about the pod's service account. */
  private String federatedToken(Instant expires) throws Exception {
    Base64.Encoder base64 = Base64.getUrlEncoder().withoutPadding();
    String header = base64.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"cluster\"}".getBytes(StandardCharsets.UTF_8));
    JsonObject claims = new JsonObject()
        .put("iss", FEDERATION_ISSUER)
        .put("sub", POD_SUBJECT)
        .put("aud", List.of(EntraStandIn.FEDERATION_AUDIENCE))
        .put("iat", clock.instant().getEpochSecond())
        .put("nbf", clock.instant().getEpochSecond())
        .put("exp", expires.getEpochSecond());
    String signingInput = header + "." + base64.encodeToString(claims.encode().getBytes(StandardCharsets.UTF_8));
    Signature rsa = Signature.getInstance("SHA256withRSA");
    rsa.initSign(federationIssuer.getPrivate());
    rsa.update(signingInput.getBytes(StandardCharsets.US_ASCII));
    return signingInput + "." + base64.encodeToString(rsa.sign());
  }
}
