package dev.spgateway.sandbox;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Azure Key Vault's secrets API ({@code GET /secrets/{name}[/{version}]}) over HTTPS on 127.0.0.1, speaking
 * the wire format the official SDK expects: the bearer challenge on a request without a token, Key Vault's
 * error bodies, and secret bundles whose {@code id} carries a 32-hex version.
 */
public final class KeyVaultStandIn {

  /** The resource a Key Vault token is issued for; the verifier should demand it as the audience. */
  public static final String RESOURCE = "https://vault.azure.net";

  // Secret names as Key Vault allows them; the trailing slash the SDK sends is optional.
  private static final Pattern SECRET_PATH = Pattern.compile("/secrets/([0-9A-Za-z-]{1,127})/?([0-9a-f]{32})?/?");

  private final Vertx vertx;
  private final BearerVerifier verifier;
  private final String tenant;
  private final SelfSignedTls tls;
  private final int requestedPort;
  private final Map<String, List<SecretVersion>> secrets = new ConcurrentHashMap<>();
  private final Set<String> denied = ConcurrentHashMap.newKeySet();
  private final Map<String, AtomicInteger> reads = new ConcurrentHashMap<>();
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger challenges = new AtomicInteger();
  private final SecureRandom random = new SecureRandom();
  private volatile HttpServer server;
  private volatile boolean down;

  /** A stand-in on a port the OS picks. */
  public KeyVaultStandIn(Vertx vertx, BearerVerifier verifier, String tenant, SelfSignedTls tls) {
    this(vertx, verifier, tenant, tls, 0);
  }

  /**
   * @param verifier checks the bearer token (signature, issuer, audience {@link #RESOURCE})
   * @param tenant named in the challenge's authorization URI
   * @param port 0 for one the OS picks
   */
  public KeyVaultStandIn(Vertx vertx, BearerVerifier verifier, String tenant, SelfSignedTls tls, int port) {
    this.vertx = vertx;
    this.verifier = verifier;
    this.tenant = tenant;
    this.tls = tls;
    this.requestedPort = port;
  }

  /** Stores a new version of the secret; later reads without a version get this one. */
  public KeyVaultStandIn putSecret(String name, String value) {
    return putSecret(name, value, null, null);
  }

  /**
   * Stores a new version of the secret, as an operator's rotation does.
   *
   * @param expires the version's {@code exp} attribute, or null for none
   * @param contentType e.g. {@code application/x-pkcs12} or {@code application/x-pem-file} for a certificate's
   *     secret; null for none
   */
  public KeyVaultStandIn putSecret(String name, String value, Instant expires, String contentType) {
    byte[] versionBytes = new byte[16];
    random.nextBytes(versionBytes);
    String version = HexFormat.of().formatHex(versionBytes);
    secrets.computeIfAbsent(name, n -> new CopyOnWriteArrayList<>())
        .add(new SecretVersion(version, value, Instant.now().getEpochSecond(),
            expires == null ? null : expires.getEpochSecond(), contentType));
    return this;
  }

  /** The version id reads without a version get now. */
  public String latestVersion(String name) {
    List<SecretVersion> versions = secrets.get(name);
    return versions == null || versions.isEmpty() ? null : versions.get(versions.size() - 1).version();
  }

  /** While true, every request is answered 503 ServiceUnavailable, as during a regional outage. */
  public KeyVaultStandIn unavailable(boolean down) {
    this.down = down;
    return this;
  }

  /** From now on, any caller reading this secret gets 403, as if its access policy lacked "get". */
  public KeyVaultStandIn deny(String secretName) {
    denied.add(secretName);
    return this;
  }

  public Future<KeyVaultStandIn> start() {
    HttpServerOptions options = new HttpServerOptions()
        .setSsl(true)
        .setKeyCertOptions(tls.keyCertOptions())
        .setHost("127.0.0.1")
        .setPort(requestedPort);
    return vertx.createHttpServer(options)
        .requestHandler(this::handle)
        .listen()
        .map(started -> {
          server = started;
          return this;
        });
  }

  public Future<Void> close() {
    HttpServer running = server;
    return running == null ? Future.succeededFuture() : running.close();
  }

  public int port() {
    HttpServer running = server;
    if (running == null) {
      throw new IllegalStateException("the Key Vault stand-in is not started");
    }
    return running.actualPort();
  }

  /** The vault URL a client uses; the certificate's SAN covers 127.0.0.1. */
  public String vaultUrl() {
    return "https://127.0.0.1:" + port();
  }

  /** How many times the secret was read successfully (any version). */
  public int reads(String name) {
    AtomicInteger count = reads.get(name);
    return count == null ? 0 : count.get();
  }

  /** Every request received, challenged and refused ones included. */
  public int requestCount() {
    return requests.get();
  }

  /** Requests that came without a token and got the bearer challenge. */
  public int challenges() {
    return challenges.get();
  }

  private void handle(HttpServerRequest request) {
    requests.incrementAndGet();
    if (down) {
      error(request, 503, "ServiceUnavailable", "The service is unavailable; retry later.");
      return;
    }
    String authorization = request.getHeader(HttpHeaders.AUTHORIZATION);
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      challenges.incrementAndGet();
      unauthorized(request, "AKV10000: Request is missing a Bearer or PoP token.");
      return;
    }
    String token = authorization.substring(7).trim();
    verifier.verify(token).onComplete(verified -> {
      if (verified.failed()) {
        // Never echo the token back, even if a verifier's reason quoted it.
        String reason = String.valueOf(verified.cause().getMessage()).replace(token, "[token]");
        unauthorized(request, "AKV10032: Invalid token: " + reason);
      } else {
        serveSecret(request, verified.result());
      }
    });
  }

  private void serveSecret(HttpServerRequest request, JsonObject claims) {
    Matcher path = SECRET_PATH.matcher(request.path());
    if (request.method() != HttpMethod.GET || !path.matches()) {
      error(request, 400, "BadParameter", "This stand-in serves only GET /secrets/{name}[/{version}].");
      return;
    }
    if (request.getParam("api-version") == null) {
      error(request, 400, "BadParameter", "The api-version query parameter is required.");
      return;
    }
    String name = path.group(1);
    String wantedVersion = path.group(2);
    if (denied.contains(name)) {
      forbidden(request, claims);
      return;
    }
    SecretVersion found = find(name, wantedVersion);
    if (found == null) {
      String id = wantedVersion == null ? name : name + "/" + wantedVersion;
      error(request, 404, "SecretNotFound", "A secret with (name/id) " + id + " was not found in this key vault. "
          + "If you recently deleted this secret you may be able to recover it using the correct recovery "
          + "command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182");
      return;
    }
    reads.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet();
    JsonObject attributes = new JsonObject()
        .put("enabled", true)
        .put("created", found.createdEpochSecond())
        .put("updated", found.createdEpochSecond())
        .put("recoveryLevel", "Recoverable+Purgeable")
        .put("recoverableDays", 90);
    if (found.expiresEpochSecond() != null) attributes.put("exp", found.expiresEpochSecond());
    JsonObject bundle = new JsonObject()
        .put("value", found.value())
        .put("id", vaultUrl() + "/secrets/" + name + "/" + found.version())
        .put("attributes", attributes);
    if (found.contentType() != null) bundle.put("contentType", found.contentType());
    json(request, 200, bundle);
  }

  private SecretVersion find(String name, String version) {
    List<SecretVersion> versions = secrets.get(name);
    if (versions == null || versions.isEmpty()) {
      return null;
    }
    if (version == null) {
      return versions.get(versions.size() - 1);
    }
    return versions.stream().filter(candidate -> candidate.version().equals(version)).findFirst().orElse(null);
  }

  private void unauthorized(HttpServerRequest request, String message) {
    // Real Key Vault repeats the challenge on every 401 so the client can fetch a (new) token.
    request.response().putHeader("WWW-Authenticate",
        "Bearer authorization=\"https://login.microsoftonline.com/" + tenant + "\", resource=\"" + RESOURCE + "\"");
    error(request, 401, "Unauthorized", message);
  }

  private void forbidden(HttpServerRequest request, JsonObject claims) {
    String caller = "appid=" + claims.getValue("appid", claims.getValue("azp", claims.getValue("sub", "unknown")))
        + ";oid=" + claims.getValue("oid", "unknown");
    JsonObject body = new JsonObject().put("error", new JsonObject()
        .put("code", "Forbidden")
        .put("message", "The user, group or application '" + caller + "' does not have secrets get permission on "
            + "key vault 'sandbox;location=local'. For help resolving this issue, please see "
            + "https://go.microsoft.com/fwlink/?linkid=2125287")
        .put("innerError", new JsonObject().put("code", "AccessDenied")));
    json(request, 403, body);
  }

  private static void error(HttpServerRequest request, int status, String code, String message) {
    json(request, status, new JsonObject().put("error", new JsonObject().put("code", code).put("message", message)));
  }

  private static void json(HttpServerRequest request, int status, JsonObject body) {
    request.response()
        .setStatusCode(status)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json; charset=utf-8")
        .end(body.encode());
  }

  private record SecretVersion(String version, String value, long createdEpochSecond, Long expiresEpochSecond,
      String contentType) {}
}
