package dev.spgateway.identity;

import static dev.spgateway.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.sandbox.EntraStandIn;
import dev.spgateway.sandbox.Sandbox;
import dev.spgateway.testing.MutableClock;
import dev.spgateway.testing.TeeStream;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Scripts proving who they are with their own Entra ID token, end to end: the sandbox's Entra ID stand-in
 * issues real RS256 tokens and serves its JWKS over HTTP, the gateway runs as under {@code serve}, and the Graph
 * stand-in records every request that reaches it. The gateway's clock is moved by hand (key refresh limits).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EntraCallerTokenTest {

  static final String TENANT = Sandbox.TENANT;
  static final String AUDIENCE = Sandbox.GATEWAY_AUDIENCE;
  /** Configured below as caller 'role-less', which needs Gateway.Call; registered without it. */
  static final String ROLELESS_APP = "a1000000-0000-4000-8000-000000000001";
  /** Registered in the tenant with the role, but no caller names it. */
  static final String UNKNOWN_APP = "a1000000-0000-4000-8000-000000000002";
  static final String OTHER_TENANT = "b2000000-0000-4000-8000-000000000003";
  static final String OTHER_TENANT_APP = "a1000000-0000-4000-8000-000000000004";
  static final String APP_SECRET = "test-app-secret-" + ApiKeys.generate();
  /** Caller 'dual' holds a key and an Entra identity: a request may carry both. */
  static final String DUAL_APP = "a1000000-0000-4000-8000-000000000005";
  static final String DUAL_KEY = ApiKeys.generate();
  /** Registered in the tenant; a caller names it only after a reload. */
  static final String LATE_APP = "a1000000-0000-4000-8000-000000000006";

  final ByteArrayOutputStream capturedErr = new ByteArrayOutputStream();
  PrintStream originalErr;
  final MutableClock clock = new MutableClock(Instant.now());
  Vertx vertx;
  Sandbox sandbox;
  EntraStandIn entra;
  WebClient client;
  String userPath;
  int logLengthAtStart;
  Path configFile;
  /** Every token a test sent: none may appear in a log line or an audit record. */
  final List<String> tokensSent = new ArrayList<>();

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    originalErr = System.err;
    System.setErr(new PrintStream(new TeeStream(originalErr, capturedErr), true));
    vertx = Vertx.vertx();
    String config = Files.readString(Path.of("config/sandbox.yaml")).replace("\ncallers:\n", """

        callers:
          role-less:
            entra: { appId: %s, roles: [ Gateway.Call ] }
            routes: [ { upstream: graph, as: finance, allow: [ "GET /v1.0/users/{id}" ] } ]
          dual:
            apiKey: { sha256: %s }
            entra: { appId: %s }
            routes: [ { upstream: graph, as: finance, allow: [ "GET /v1.0/users/{id}" ] } ]
        """.formatted(ROLELESS_APP, ApiKeys.sha256Hex(DUAL_KEY), DUAL_APP))
        // Strict: a response completes only once its record is written, so a test reads it at once.
        .replace("  file: \"${SANDBOX_AUDIT_FILE}\"\n", "  file: \"${SANDBOX_AUDIT_FILE}\"\n  durability: strict\n");
    assertThat(config).contains("durability: strict");
    configFile = Files.writeString(dir.resolve("sandbox-entra.yaml"), config);
    // Generous: key pairs, TLS and a gateway start take long on a machine shared with other builds.
    sandbox = Sandbox.start(vertx, configFile, 0, 0, dir, false, clock).toCompletionStage().toCompletableFuture()
        .get(60, java.util.concurrent.TimeUnit.SECONDS);
    entra = sandbox.entra()
        .registerApp(TENANT, ROLELESS_APP, APP_SECRET)
        .registerApp(TENANT, UNKNOWN_APP, APP_SECRET, Sandbox.CALLER_ROLE)
        .registerApp(TENANT, DUAL_APP, APP_SECRET)
        .registerApp(TENANT, LATE_APP, APP_SECRET)
        .registerApp(OTHER_TENANT, OTHER_TENANT_APP, APP_SECRET, Sandbox.CALLER_ROLE);
    client = WebClient.create(vertx);
    logLengthAtStart = capturedErr.size();
    userPath = "/graph/v1.0/users/" + sandbox.exampleUserId();
  }

  @AfterAll
  void stop() throws Exception {
    try {
      if (sandbox == null) return;
      // Generous, as for the start: draining and flushing the audit log on a machine shared with other builds.
      sandbox.close().toCompletionStage().toCompletableFuture().get(60, java.util.concurrent.TimeUnit.SECONDS);
      String logs = capturedErr.toString(StandardCharsets.UTF_8);
      String audit = Files.readString(sandbox.auditFile());
      assertThat(tokensSent).hasSizeGreaterThan(25);
      for (String token : tokensSent) {
        assertThat(logs).doesNotContain(token);
        assertThat(audit).doesNotContain(token);
      }
      // Checked from the first request on: at start, class loading on a machine shared with other builds can trip it.
      assertThat(logs.substring(logLengthAtStart)).doesNotContain("has been blocked for");
    } finally {
      System.setErr(originalErr);
      await(vertx.close());
    }
  }

  @Test
  void aScriptsTokenGoesThroughAsItsCallerAndNeverReachesTheUpstream() {
    String token = scriptToken();
    int before = sandbox.graph().requestCount();

    HttpResponse<Buffer> response = send(Map.of("Authorization", "Bearer " + token), userPath);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.bodyAsJsonObject().getString("id")).isEqualTo(sandbox.exampleUserId());
    assertThat(sandbox.graph().requestCount()).isEqualTo(before + 1);
    var received = sandbox.graph().received().get(before);
    // The Graph stand-in verified the service principal's token; the caller's went no further than the gateway.
    received.headers().forEach(header -> assertThat(header.getValue()).doesNotContain(token));
    JsonObject record = auditRecord(response);
    assertThat(record.getString("caller")).isEqualTo("nightly-report");
    assertThat(record.getString("authentication")).isEqualTo("entra");
    assertThat(record.getString("callerAppId")).isEqualTo(sandbox.script().clientId());
    assertThat(record.getString("callerObjectId")).isEqualTo(entra.objectId(TENANT, sandbox.script().clientId()));
    assertThat(record.getString("servicePrincipal")).isEqualTo("finance");

    // RFC 7235: the scheme is case-insensitive. The same token again is served from the validation cache.
    assertThat(send(Map.of("Authorization", "bearer " + token), userPath).statusCode()).isEqualTo(200);
    assertThat(send(Map.of("Authorization", "Bearer " + token), userPath).statusCode()).isEqualTo(200);
  }

  @Test
  void aV1TokenIsAcceptedWithItsOwnIssuerAndAppid() {
    // What Entra issues when the gateway's app registration asks for v1 tokens: sts.windows.net, appid, no azp.
    JsonObject v1 = without(claims(), "azp", "azpacr").put("iss", "https://sts.windows.net/" + TENANT + "/")
        .put("ver", "1.0").put("appid", sandbox.script().clientId()).put("appidacr", "1");
    String token = signed(v1);
    tokensSent.add(token);
    HttpResponse<Buffer> response = send(Map.of("Authorization", "Bearer " + token), userPath);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(auditRecord(response).getString("callerAppId")).isEqualTo(sandbox.script().clientId());
  }

  @Test
  void aKeyAndATokenOfTheSameCallerAreBothAccepted() {
    HttpResponse<Buffer> response = send(Map.of(ApiKeys.HEADER, DUAL_KEY,
        "Authorization", "Bearer " + tokenFor(DUAL_APP, AUDIENCE)), userPath);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(auditRecord(response).getString("caller")).isEqualTo("dual");
    assertThat(auditRecord(response).getString("authentication")).isEqualTo("api-key+entra");
    assertThat(send(Map.of(ApiKeys.HEADER, DUAL_KEY), userPath).statusCode()).as("the key alone").isEqualTo(200);
  }

  @Test
  void aCallerAddedByAReloadIsKnownByItsTokenAtOnce() throws Exception {
    String token = tokenFor(LATE_APP, AUDIENCE);
    assertThat(send(Map.of("Authorization", "Bearer " + token), userPath).statusCode()).isEqualTo(401);

    Files.writeString(configFile, Files.readString(configFile).replace("\ncallers:\n", """

        callers:
          late-joiner:
            entra: { appId: %s }
            routes: [ { upstream: graph, as: finance, allow: [ "GET /v1.0/users/{id}" ] } ]
        """.formatted(LATE_APP)));
    assertThat(sandbox.reload("signal").toCompletionStage().toCompletableFuture()
        .get(60, java.util.concurrent.TimeUnit.SECONDS).tag()).isEqualTo("applied");

    HttpResponse<Buffer> response = send(Map.of("Authorization", "Bearer " + token), userPath);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(auditRecord(response).getString("caller")).isEqualTo("late-joiner");
  }

  @Test
  void aManagedIdentitysTokenFromTheImdsShapedEndpointGoesThrough() {
    HttpResponse<Buffer> imds = await(client.getAbs(entra.baseUrl()
            + "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=" + AUDIENCE)
        .putHeader("Metadata", "true").send());
    assertThat(imds.statusCode()).isEqualTo(200);
    String token = imds.bodyAsJsonObject().getString("access_token");
    tokensSent.add(token);

    HttpResponse<Buffer> response = send(Map.of("Authorization", "Bearer " + token), userPath);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(auditRecord(response).getString("caller")).isEqualTo("vm-job");
    assertThat(auditRecord(response).getString("callerObjectId")).isEqualTo(entra.managedIdentityObjectId());
  }

  @Test
  void theSequenceTheSandboxPrintsAnswers200ThenWwwAuthenticateForGarbage() throws Exception {
    Process shell = new ProcessBuilder("bash", "-c", "set -euo pipefail\n" + String.join("\n", sandbox.scriptTokenSequence()))
        .redirectErrorStream(true).start();
    String output = new String(shell.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(shell.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    assertThat(shell.exitValue()).as(output).isZero();
    assertThat(output.lines().filter(line -> line.startsWith("HTTP/")).map(line -> line.split(" ")[1]))
        .containsExactly("200", "200", "401");
    assertThat(output).containsIgnoringCase("www-authenticate: Bearer realm=\"sp-gateway\", error=\"invalid_token\"");
  }

  /** A request an attacker (or a broken script) could send, and what the gateway must answer. */
  record Hostile(String name, Map<String, List<String>> headers, String path, int status, String problem) {
    @Override
    public String toString() {
      return name;
    }
  }

  Stream<Arguments> hostileRequests() {
    JsonObject valid = claims();
    long now = clock.instant().getEpochSecond();
    String v2Issuer = entra.issuer(TENANT);
    String v1Issuer = "https://sts.windows.net/" + TENANT + "/";
    String good = scriptToken();
    String[] goodParts = HandMadeTokens.parts(good);
    String other = scriptToken(); // a second genuine token, for its signature
    KeyPair foreignKey = HandMadeTokens.rsaKey();
    JsonObject header = new JsonObject().put("typ", "JWT").put("alg", "RS256").put("kid", entra.currentKid());
    String longToken = "eyJ" + "A".repeat(64 * 1024);

    List<Hostile> cases = List.of(
        bearer("expired", signed(valid.copy().put("iat", now - 7200).put("nbf", now - 7200).put("exp", now - 3600)),
            401, "token-expired"),
        bearer("expired beyond the 5-minute skew", signed(valid.copy().put("exp", now - 301)), 401, "token-expired"),
        bearer("nbf in the future", signed(valid.copy().put("nbf", now + 600)), 401, "token-not-yet-valid"),
        bearer("no exp", signed(without(valid, "exp")), 401, "token-malformed"),
        bearer("wrong aud", signed(valid.copy().put("aud", "api://another-app")), 401, "token-wrong-audience"),
        bearer("aud of Graph: a token for another API", tokenFor(sandbox.script().clientId(), "https://graph.microsoft.com"),
            401, "token-wrong-audience"),
        bearer("wrong iss", signed(valid.copy().put("iss", "https://evil.example/" + TENANT + "/v2.0")),
            401, "token-wrong-issuer"),
        bearer("v1 issuer on a v2 token", signed(valid.copy().put("iss", v1Issuer)), 401, "token-wrong-issuer"),
        bearer("v2 issuer on a v1 token", signed(valid.copy().put("ver", "1.0")), 401, "token-wrong-issuer"),
        bearer("v1 issuer with the v2 suffix", signed(valid.copy().put("iss", "https://sts.windows.net/" + TENANT + "/v2.0")
            .put("ver", "1.0")), 401, "token-wrong-issuer"),
        bearer("v2 issuer without /v2.0", signed(valid.copy().put("iss", entra.baseUrl() + "/" + TENANT + "/")),
            401, "token-wrong-issuer"),
        bearer("another tenant (issued by the stand-in for it)", tokenFor(OTHER_TENANT, OTHER_TENANT_APP, AUDIENCE),
            401, "token-wrong-issuer"),
        bearer("tid not the issuer's tenant", signed(valid.copy().put("tid", OTHER_TENANT)), 401, "token-wrong-issuer"),
        bearer("alg none", HandMadeTokens.unsigned(valid), 401, "token-bad-signature"),
        bearer("alg none, two segments", goodParts[0] + "." + goodParts[1], 401, "token-bad-signature"),
        bearer("HS256 signed with the public key", HandMadeTokens.hs256WithPublicKey(valid, entra.currentJwk()),
            401, "token-bad-signature"),
        bearer("unknown kid", HandMadeTokens.rs256(header.copy().put("kid", "made-up-kid"), valid,
            foreignKey.getPrivate()), 401, "token-bad-signature"),
        bearer("current kid, foreign key", HandMadeTokens.rs256(header, valid, foreignKey.getPrivate()),
            401, "token-bad-signature"),
        bearer("signature stripped", goodParts[0] + "." + goodParts[1] + ".", 401, "token-bad-signature"),
        bearer("claims altered, signature kept", goodParts[0] + "."
            + HandMadeTokens.part(valid.copy().put("roles", new JsonArray().add("Gateway.Admin"))) + "." + goodParts[2],
            401, "token-bad-signature"),
        bearer("another token's signature", goodParts[0] + "." + goodParts[1] + "." + HandMadeTokens.parts(other)[2],
            401, "token-bad-signature"),
        bearer("an ID token (no azp/appid)", signed(without(valid, "azp", "appid").put("nonce", "n-0S6_WzA2Mj")
            .put("name", "Adele Vance").put("preferred_username", "adelev@contoso.example")), 401, "not-an-access-token"),
        bearer("a valid token of an unknown caller", tokenFor(UNKNOWN_APP, AUDIENCE), 401, "unknown-caller"),
        bearer("a known caller without its role", tokenFor(ROLELESS_APP, AUDIENCE), 403, "missing-role"),
        bearer("garbage", "not-a-jwt", 401, "token-malformed"),
        bearer("claims not JSON", goodParts[0] + "." + HandMadeTokens.part(new JsonObject()).replace("e30", "bm90LWpzb24")
            + "." + goodParts[2], 401, "token-malformed"),
        bearer("a 64 KB token", longToken, 431, null),
        raw("two Authorization headers", Map.of("Authorization", List.of("Bearer " + good, "Bearer " + other)),
            userPath, 400, "duplicate-authorization"),
        raw("a token in the query string", Map.of(), userPath + "?access_token=" + good, 400, "token-in-query"),
        raw("a token in the query string, percent-encoded name", Map.of(), userPath + "?access%5Ftoken=" + good,
            400, "token-in-query"),
        raw("two spaces after Bearer", Map.of("Authorization", List.of("Bearer  " + good)), userPath, 401, "token-malformed"),
        raw("a tab after Bearer", Map.of("Authorization", List.of("Bearer\t" + good)), userPath, 401, "token-malformed"),
        raw("no space after Bearer", Map.of("Authorization", List.of("Bearer" + good)), userPath, 401, "token-malformed"),
        raw("Bearer and nothing", Map.of("Authorization", List.of("Bearer")), userPath, 401, "token-malformed"),
        raw("something after the token", Map.of("Authorization", List.of("Bearer " + good + " extra")), userPath,
            401, "token-malformed"),
        raw("another scheme", Map.of("Authorization", List.of("Basic " + good)), userPath, 401, "token-malformed"),
        raw("an API key and a token naming different callers",
            Map.of("Authorization", List.of("Bearer " + good), ApiKeys.HEADER, List.of(sandbox.callerKey())),
            userPath, 401, "conflicting-credentials"),
        raw("an unknown API key with a valid token",
            Map.of("Authorization", List.of("Bearer " + good), ApiKeys.HEADER, List.of(ApiKeys.generate())),
            userPath, 401, "unknown-api-key"));
    return cases.stream().map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostileRequests")
  void everyHostileTokenIsRefusedAndReachesNoUpstream(Hostile hostile) {
    tokensSent.addAll(tokensSentIn(hostile));
    int before = sandbox.graph().requestCount() + sandbox.dataverse().requestCount();

    HttpRequest<Buffer> request = client.get(sandbox.gateway().port(), "127.0.0.1", hostile.path());
    hostile.headers().forEach(request::putHeader);
    HttpResponse<Buffer> response = await(request.send());

    assertThat(response.statusCode()).isEqualTo(hostile.status());
    assertThat(sandbox.graph().requestCount() + sandbox.dataverse().requestCount()).as("reached an upstream")
        .isEqualTo(before);
    if (hostile.problem() == null) return; // refused by the HTTP parser itself: no problem body to check
    JsonObject problem = response.bodyAsJsonObject();
    assertThat(problem.getString("type")).isEqualTo("urn:sp-gateway:problem:" + hostile.problem());
    assertThat(problem.getString("requestId")).isEqualTo(response.getHeader("client-request-id"));
    String challenges = String.join("\n", response.headers().getAll("WWW-Authenticate"));
    if (hostile.status() == 401 && !hostile.problem().endsWith("api-key")) {
      assertThat(challenges).startsWith("Bearer realm=\"sp-gateway\", error=\"invalid_").contains("error_description=\"");
    }
    if (hostile.status() == 403) assertThat(challenges).contains("error=\"insufficient_scope\"");
    for (String token : tokensSentIn(hostile)) {
      assertThat(response.bodyAsString()).doesNotContain(token);
      assertThat(challenges).doesNotContain(token);
    }
    JsonObject record = auditRecord(response);
    assertThat(record.getString("problem")).isEqualTo(hostile.problem());
    assertThat(record.getString("outcome")).isEqualTo("denied");
  }

  @Test
  void aGenuineTokenRefusedForItsCallerIsAuditedWithItsIds() {
    HttpResponse<Buffer> response = send(Map.of("Authorization", "Bearer " + tokenFor(ROLELESS_APP, AUDIENCE)), userPath);
    assertThat(response.statusCode()).isEqualTo(403);
    assertThat(response.bodyAsJsonObject().getString("detail")).contains("Gateway.Call", ROLELESS_APP);
    JsonObject record = auditRecord(response);
    assertThat(record.getString("caller")).isNull();
    assertThat(record.getString("callerAppId")).isEqualTo(ROLELESS_APP);
    assertThat(record.getString("callerObjectId")).isEqualTo(entra.objectId(TENANT, ROLELESS_APP));
  }

  @Test
  void keysRollOverWithoutARestartAndARetiredKeyIsRefused() {
    String beforeRollover = scriptToken();
    assertThat(send(Map.of("Authorization", "Bearer " + beforeRollover), userPath).statusCode()).isEqualTo(200);

    await(entra.rotateSigningKey());
    String afterRollover = scriptToken();
    int fetches = entra.jwksRequests();
    clock.advance(Duration.ofMinutes(2)); // the last fetch is more than a minute old
    assertThat(send(Map.of("Authorization", "Bearer " + afterRollover), userPath).statusCode()).isEqualTo(200);
    assertThat(entra.jwksRequests()).as("one fetch for the new key").isEqualTo(fetches + 1);

    // Made-up key ids within the minute fetch nothing more.
    KeyPair foreign = HandMadeTokens.rsaKey();
    for (int i = 0; i < 5; i++) {
      String forged = HandMadeTokens.rs256(new JsonObject().put("alg", "RS256").put("kid", "forged-" + i), claims(),
          foreign.getPrivate());
      assertThat(send(Map.of("Authorization", "Bearer " + forged), userPath).statusCode()).isEqualTo(401);
    }
    assertThat(entra.jwksRequests()).isEqualTo(fetches + 1);
    assertThat(send(Map.of("Authorization", "Bearer " + beforeRollover), userPath).statusCode())
        .as("the old key is still published").isEqualTo(200);

    entra.retireOldKeys();
    clock.advance(Duration.ofMinutes(2));
    String forged = HandMadeTokens.rs256(new JsonObject().put("alg", "RS256").put("kid", "forged-again"), claims(),
        foreign.getPrivate());
    assertThat(send(Map.of("Authorization", "Bearer " + forged), userPath).statusCode()).isEqualTo(401);
    assertThat(entra.jwksRequests()).isEqualTo(fetches + 2);
    HttpResponse<Buffer> retired = send(Map.of("Authorization", "Bearer " + beforeRollover), userPath);
    assertThat(retired.statusCode()).as("signed with a key no longer published, even though it was cached")
        .isEqualTo(401);
    assertThat(retired.bodyAsJsonObject().getString("type")).isEqualTo("urn:sp-gateway:problem:token-bad-signature");
    assertThat(send(Map.of("Authorization", "Bearer " + afterRollover), userPath).statusCode()).isEqualTo(200);
  }

  @Test
  void duringAJwksOutageTheKeysFetchedBeforeKeepWorking() {
    entra.jwksDown(true);
    try {
      clock.advance(Duration.ofMinutes(2));
      KeyPair foreign = HandMadeTokens.rsaKey();
      String forged = HandMadeTokens.rs256(new JsonObject().put("alg", "RS256").put("kid", "outage-kid"), claims(),
          foreign.getPrivate());
      int fetches = entra.jwksRequests();
      assertThat(send(Map.of("Authorization", "Bearer " + forged), userPath).statusCode()).isEqualTo(401);
      assertThat(entra.jwksRequests()).as("tried to fetch, and failed").isEqualTo(fetches + 1);

      String fresh = scriptToken(); // never seen by the gateway: checked against the cached keys
      assertThat(send(Map.of("Authorization", "Bearer " + fresh), userPath).statusCode()).isEqualTo(200);
    } finally {
      entra.jwksDown(false);
    }
    // Back: the next unknown key id after a minute fetches again and succeeds (no more retries every minute).
    clock.advance(Duration.ofMinutes(2));
    String forged = HandMadeTokens.rs256(new JsonObject().put("alg", "RS256").put("kid", "after-outage"), claims(),
        HandMadeTokens.rsaKey().getPrivate());
    assertThat(send(Map.of("Authorization", "Bearer " + forged), userPath).statusCode()).isEqualTo(401);
    assertThat(capturedErr.toString(StandardCharsets.UTF_8)).contains("fetched again");
    assertThat(capturedErr.toString(StandardCharsets.UTF_8))
        .contains("cannot fetch Entra ID signing keys of tenant " + TENANT)
        .contains("keep working");
  }

  // --- helpers ---------------------------------------------------------------------------------------

  private Hostile bearer(String name, String token, int status, String problem) {
    return new Hostile(name, Map.of("Authorization", List.of("Bearer " + token)), userPath, status, problem);
  }

  private static Hostile raw(String name, Map<String, List<String>> headers, String path, int status, String problem) {
    return new Hostile(name, headers, path, status, problem);
  }

  private static List<String> tokensSentIn(Hostile hostile) {
    List<String> tokens = new ArrayList<>();
    hostile.headers().values().forEach(values -> values.forEach(v -> tokens.add(v.replaceFirst("^\\S+\\s*", ""))));
    int at = hostile.path().indexOf("token=");
    if (at >= 0) tokens.add(hostile.path().substring(at + "token=".length()));
    tokens.removeIf(t -> t.length() < 20); // "Bearer" alone, an API key's scheme-less split
    tokens.replaceAll(t -> t.length() > 1000 ? t.substring(0, 1000) : t);
    return tokens;
  }

  /** The claims of a genuine token of the script's app, as the stand-in makes them, dated by the test's clock. */
  private JsonObject claims() {
    long now = clock.instant().getEpochSecond();
    return entra.appTokenClaims(TENANT, sandbox.script().clientId(), AUDIENCE)
        .put("iat", now).put("nbf", now).put("exp", now + 3600).put("roles", new JsonArray().add(Sandbox.CALLER_ROLE));
  }

  private String signed(JsonObject claims) {
    return entra.sign(new JsonObject().put("typ", "JWT").put("alg", "RS256").put("kid", entra.currentKid()), claims);
  }

  private static JsonObject without(JsonObject claims, String... names) {
    JsonObject copy = claims.copy();
    for (String name : names) copy.remove(name);
    return copy;
  }

  private String scriptToken() {
    return tokenFor(sandbox.script().clientId(), AUDIENCE);
  }

  private String tokenFor(String clientId, String audience) {
    return tokenFor(TENANT, clientId, audience);
  }

  /** Client credentials, as a script's Azure Identity library would ask for them. */
  private String tokenFor(String tenant, String clientId, String audience) {
    String secret = clientId.equals(sandbox.script().clientId()) ? sandbox.script().secret() : APP_SECRET;
    MultiMap form = MultiMap.caseInsensitiveMultiMap().set("grant_type", "client_credentials")
        .set("client_id", clientId).set("client_secret", secret).set("scope", audience + "/.default");
    HttpResponse<Buffer> response = await(client.postAbs(entra.tokenUrl(tenant)).sendForm(form));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    String token = response.bodyAsJsonObject().getString("access_token");
    tokensSent.add(token);
    return token;
  }

  private HttpResponse<Buffer> send(Map<String, String> headers, String path) {
    HttpRequest<Buffer> request = client.get(sandbox.gateway().port(), "127.0.0.1", path);
    headers.forEach(request::putHeader);
    return await(request.send());
  }

  /** The one audit record of the request that got {@code response}. */
  private JsonObject auditRecord(HttpResponse<Buffer> response) {
    String requestId = response.getHeader("client-request-id");
    try {
      return Files.readAllLines(sandbox.auditFile()).stream().map(JsonObject::new)
          .filter(r -> requestId.equals(r.getString("requestId"))).collect(java.util.stream.Collectors.collectingAndThen(
              java.util.stream.Collectors.toList(), matches -> matches.size() == 1 ? matches.get(0) : null));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }


}
