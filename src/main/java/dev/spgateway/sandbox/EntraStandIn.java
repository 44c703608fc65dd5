package dev.spgateway.sandbox;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.math.BigInteger;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.Signature;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The Entra ID (v2) token endpoint for the client-credentials grant, with its discovery document and
 * JWKS: tokens are RS256 JWTs shaped like Entra's app-only tokens, errors carry Entra's AADSTS codes. Also an
 * endpoint shaped like the Azure Instance Metadata Service's managed identity endpoint
 * ({@code GET /metadata/identity/oauth2/token?resource=...} with {@code Metadata: true}), so code written for a
 * managed identity gets tokens from it (azure-identity: {@code AZURE_POD_IDENTITY_AUTHORITY_HOST}).
 */
public final class EntraStandIn extends StandInServer {

  public static final Duration DEFAULT_TOKEN_LIFETIME = Duration.ofSeconds(3599);
  /** The audience Entra ID demands of a federated credential's token. */
  public static final String FEDERATION_AUDIENCE = "api://AzureADTokenExchange";
  static final String JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

  private static final String JSON = "application/json; charset=utf-8";
  private static final Set<String> OIDC_SCOPES = Set.of("openid", "profile", "offline_access", "email");
  private static final DateTimeFormatter ERROR_TIMESTAMP =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'").withZone(ZoneOffset.UTC);
  private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

  private final Vertx vertx;
  private final Map<String, App> apps = new ConcurrentHashMap<>(); // by tenant + "/" + clientId
  private final Map<String, ManagedIdentity> managedIdentities = new ConcurrentHashMap<>(); // by client id
  private final String appServiceIdentityHeader = StandInHttp.newGuid();
  private final Set<String> tenants = ConcurrentHashMap.newKeySet();
  private final List<SigningKey> publishedKeys = new CopyOnWriteArrayList<>();
  private final AtomicInteger tokenRequests = new AtomicInteger();
  private final AtomicInteger jwksRequests = new AtomicInteger();
  /** The managed identity IMDS answers for when a request names no client id. */
  private volatile String defaultManagedIdentity;
  private volatile boolean jwksDown;
  private volatile SigningKey signingKey;
  private volatile Duration tokenLifetime = DEFAULT_TOKEN_LIFETIME;
  private volatile Clock clock = Clock.systemUTC();
  private InjectedFailure injectedFailure; // guarded by this

  public EntraStandIn(Vertx vertx) {
    this(vertx, 0);
  }

  public EntraStandIn(Vertx vertx, int port) {
    super(vertx, port);
    this.vertx = vertx;
  }

  /** Registers an app (service principal) in a tenant; {@code roles} become the token's {@code roles}. */
  public EntraStandIn registerApp(String tenant, String clientId, String clientSecret, String... roles) {
    tenants.add(tenant);
    App app = new App(clientId, StandInHttp.newGuid(), List.of(roles));
    if (clientSecret != null) app.secrets.add(clientSecret);
    apps.put(tenant + "/" + clientId, app);
    return this;
  }

  /**
   * The managed identity the IMDS-shaped endpoint hands out tokens for when a request names no client id (a
   * system-assigned identity, or the only user-assigned one): its client id, and the app roles its tokens carry.
   */
  public EntraStandIn managedIdentity(String tenant, String clientId, String... roles) {
    registerManagedIdentity(tenant, clientId, roles);
    defaultManagedIdentity = clientId;
    return this;
  }

  /** Adds a client secret to a registered app, as an operator does before rotating. */
  public EntraStandIn addSecret(String tenant, String clientId, String clientSecret) {
    app(tenant, clientId).secrets.add(clientSecret);
    return this;
  }

  /** Deletes a client secret from the app: using it is then AADSTS7000215, as for any wrong secret. */
  public EntraStandIn revokeSecret(String tenant, String clientId, String clientSecret) {
    app(tenant, clientId).secrets.remove(clientSecret);
    return this;
  }

  /** The secret passes its end date: using it is then AADSTS7000222. */
  public EntraStandIn expireSecret(String tenant, String clientId, String clientSecret) {
    App app = app(tenant, clientId);
    app.secrets.remove(clientSecret);
    app.expiredSecrets.add(clientSecret);
    return this;
  }

  /**
   * Uploads a certificate to the app's credentials: client assertions signed with its key and naming it by
   * {@code x5t#S256} (or {@code x5t}) are accepted.
   */
  public EntraStandIn addCertificate(String tenant, String clientId, X509Certificate certificate) {
    app(tenant, clientId).certificates.add(certificate);
    return this;
  }

  /**
   * Adds a federated identity credential: a JWT from {@code issuer} about {@code subject}, audience
   * {@value #FEDERATION_AUDIENCE}, signed with {@code issuerKey}, is accepted as the app's client assertion.
   */
  public EntraStandIn addFederatedCredential(String tenant, String clientId, String issuer, String subject,
      PublicKey issuerKey) {
    app(tenant, clientId).federated.add(new Federated(issuer, subject, issuerKey));
    return this;
  }

  /** Registers a user-assigned managed identity, served by the instance metadata endpoint {@link #imdsUrl()}. */
  public EntraStandIn registerManagedIdentity(String tenant, String clientId, String... roles) {
    tenants.add(tenant);
    managedIdentities.put(clientId, new ManagedIdentity(tenant, new App(clientId, StandInHttp.newGuid(), List.of(roles))));
    return this;
  }

  /** The Azure instance metadata service's token endpoint, as a managed identity's workload calls it. */
  public String imdsUrl() {
    return baseUrl() + "/metadata/identity/oauth2/token";
  }

  /** App Service's (and Container Apps') identity endpoint: what those platforms put in IDENTITY_ENDPOINT. */
  public String appServiceIdentityUrl() {
    return baseUrl() + "/msi/token";
  }

  /** The value App Service puts in IDENTITY_HEADER, which its identity endpoint requires as X-IDENTITY-HEADER. */
  public String appServiceIdentityHeader() {
    return appServiceIdentityHeader;
  }

  private App app(String tenant, String clientId) {
    App app = apps.get(tenant + "/" + clientId);
    if (app == null) throw new IllegalArgumentException("no app " + clientId + " in tenant " + tenant);
    return app;
  }

  /** The object id of a registered app's service principal (the {@code oid} of its tokens). */
  public String objectId(String tenant, String clientId) {
    App app = apps.get(tenant + "/" + clientId);
    if (app == null) throw new IllegalArgumentException("no app " + clientId + " in " + tenant);
    return app.objectId();
  }

  /** The object id of the managed identity registered with {@link #managedIdentity}. */
  public String managedIdentityObjectId() {
    return managedIdentities.get(defaultManagedIdentity).app().objectId();
  }

  /** While down, the JWKS answers 503, as during an outage. */
  public EntraStandIn jwksDown(boolean down) {
    this.jwksDown = down;
    return this;
  }

  /** JWKS requests received, answered or not. */
  public int jwksRequests() {
    return jwksRequests.get();
  }

  /** The key id new tokens are signed with. */
  public String currentKid() {
    return signingKey.kid();
  }

  /** Stops publishing every key but the current one: tokens signed with the others no longer verify. */
  public EntraStandIn retireOldKeys() {
    publishedKeys.removeIf(key -> key != signingKey);
    return this;
  }

  /**
   * Signs any header and claims with the current key, for tests that need tokens Entra would never issue
   * (wrong issuer, no azp, a foreign algorithm name in the header...).
   */
  public String sign(JsonObject header, JsonObject claims) {
    return signingKey.sign(header, claims);
  }

  /** The claims of an app-only v2 token as this stand-in mints them, to start a hand-made token from. */
  public JsonObject appTokenClaims(String tenant, String clientId, String audience) {
    App app = apps.get(tenant + "/" + clientId);
    if (app == null) throw new IllegalArgumentException("no app " + clientId + " in " + tenant);
    return claims(tenant, app, audience, tokenLifetime.toSeconds());
  }

  /** The public key new tokens are signed with, as a JWK (for tests that misuse it). */
  public JsonObject currentJwk() {
    return signingKey.jwk();
  }

  public EntraStandIn tokenLifetime(Duration lifetime) {
    this.tokenLifetime = lifetime;
    return this;
  }

  /** The clock tokens are minted with: a clock in the past mints tokens that are already expired. */
  public EntraStandIn clock(Clock clock) {
    this.clock = clock;
    return this;
  }

  /** The next {@code count} token requests fail with this status and Entra error, before any check (0: none). */
  public synchronized EntraStandIn failNext(int count, int status, String error, int aadstsCode) {
    return failNextFor(null, count, status, error, aadstsCode);
  }

  /** As {@link #failNext}, for the token requests of one client id only (null: any). */
  public synchronized EntraStandIn failNextFor(String clientId, int count, int status, String error, int aadstsCode) {
    injectedFailure = count > 0 ? new InjectedFailure(clientId, count, status, error, aadstsCode) : null;
    return this;
  }

  /** Generates the signing key (RSA 2048, on a worker thread) and starts listening. */
  public Future<EntraStandIn> start() {
    Router router = http.newRouter();
    router.post("/:tenant/oauth2/v2.0/token").handler(this::token);
    router.get("/metadata/identity/oauth2/token").handler(this::managedIdentityToken);
    router.get("/msi/token").handler(this::appServiceIdentityToken);
    router.get("/:tenant/discovery/v2.0/keys").handler(this::keys);
    router.get("/:tenant/v2.0/.well-known/openid-configuration").handler(this::openIdConfiguration);
    return rotateSigningKey().compose(keyReady -> http.listen(router)).map(this);
  }

  /** Signs new tokens with a fresh key; the JWKS keeps publishing the old ones, as Entra does. */
  public Future<Void> rotateSigningKey() {
    return vertx.executeBlocking(SigningKey::generate).map(key -> {
      publishedKeys.add(0, key);
      signingKey = key;
      return null;
    });
  }

  public String tokenUrl(String tenant) {
    return baseUrl() + "/" + tenant + "/oauth2/v2.0/token";
  }

  public String issuer(String tenant) {
    return baseUrl() + "/" + tenant + "/v2.0";
  }

  public String jwksUrl(String tenant) {
    return baseUrl() + "/" + tenant + "/discovery/v2.0/keys";
  }

  /** Token requests received, successful or not. */
  public int tokenRequests() {
    return tokenRequests.get();
  }

  private void token(RoutingContext ctx) {
    tokenRequests.incrementAndGet();
    HttpServerRequest req = ctx.request();
    String tenant = ctx.pathParam("tenant");
    String[] basicForInjection = basicCredentials(req);
    InjectedFailure injected = takeInjectedFailure(
        basicForInjection != null ? basicForInjection[0] : req.getFormAttribute("client_id"));
    if (injected != null) {
      entraError(ctx, injected.status(), injected.error(), injected.aadstsCode(),
          "Failure injected by the sandbox for a test.");
      return;
    }
    if (!tenants.contains(tenant)) {
      entraError(ctx, 400, "invalid_tenant", 90002, "Tenant '" + tenant + "' not found. Check to make"
          + " sure you have the correct tenant ID and are signing into the correct cloud.");
      return;
    }
    String grantType = req.getFormAttribute("grant_type");
    if (grantType == null) {
      missingParameter(ctx, "grant_type");
      return;
    }
    if (!"client_credentials".equals(grantType)) {
      entraError(ctx, 400, "unsupported_grant_type", 70003,
          "The app requested an unsupported grant type '" + grantType + "'.");
      return;
    }
    String[] basic = basicCredentials(req);
    String clientId = basic != null ? basic[0] : req.getFormAttribute("client_id");
    String clientSecret = basic != null ? basic[1] : req.getFormAttribute("client_secret");
    if (clientId == null) {
      missingParameter(ctx, "client_id");
      return;
    }
    App app = apps.get(tenant + "/" + clientId);
    if (app == null) {
      entraError(ctx, 400, "unauthorized_client", 700016, "Application with identifier '" + clientId
          + "' was not found in the directory '" + tenant + "'. This can happen if the application"
          + " has not been installed by the administrator of the tenant or consented to by any user"
          + " in the tenant. You may have sent your authentication request to the wrong tenant.");
      return;
    }
    String assertion = req.getFormAttribute("client_assertion");
    if (clientSecret == null && assertion == null) {
      entraError(ctx, 401, "invalid_client", 7000218, "The request body must contain the following"
          + " parameter: 'client_assertion' or 'client_secret'.");
      return;
    }
    if (assertion != null) {
      if (!JWT_BEARER.equals(req.getFormAttribute("client_assertion_type"))) {
        entraError(ctx, 400, "invalid_request", 50027, "Invalid client_assertion_type; expected " + JWT_BEARER + ".");
        return;
      }
      if (!ClientAssertions.accepted(ctx, this, tenant, app, assertion)) return;
    } else if (app.expiredSecrets.stream().anyMatch(expired -> MessageDigest.isEqual(bytes(clientSecret), bytes(expired)))) {
      entraError(ctx, 401, "invalid_client", 7000222, "The provided client secret keys for app '" + clientId
          + "' are expired. Visit the Azure portal to create new keys for your app.");
      return;
    } else if (app.secrets.stream().noneMatch(known -> MessageDigest.isEqual(bytes(clientSecret), bytes(known)))) {
      entraError(ctx, 401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the"
          + " secret being sent in the request is the client secret value, not the client secret ID,"
          + " for a secret added to app '" + clientId + "'.");
      return;
    }
    String scope = req.getFormAttribute("scope");
    List<String> resourceScopes = scope == null ? List.of() : Arrays.stream(scope.trim().split("\\s+"))
        .filter(word -> !word.isEmpty() && !OIDC_SCOPES.contains(word))
        .toList();
    if (resourceScopes.isEmpty()) {
      entraError(ctx, 400, "invalid_scope", 70011,
          "The provided request must include a 'scope' input parameter.");
      return;
    }
    if (resourceScopes.size() > 1) {
      entraError(ctx, 400, "invalid_scope", 70011, "The provided value for the input parameter"
          + " 'scope' is not valid. The scope " + String.join(" ", resourceScopes) + " is not valid.");
      return;
    }
    String requested = resourceScopes.get(0);
    if (!requested.endsWith("/.default") || requested.length() == "/.default".length()) {
      entraError(ctx, 400, "invalid_scope", 1002012, "The provided value for scope " + requested
          + " is not valid. Client credential flows must have a scope value with /.default suffixed"
          + " to the resource identifier (application ID URI).");
      return;
    }
    String audience = requested.substring(0, requested.length() - "/.default".length());
    long lifetime = tokenLifetime.toSeconds();
    JsonObject body = new JsonObject()
        .put("token_type", "Bearer")
        .put("expires_in", lifetime)
        .put("ext_expires_in", lifetime)
        .put("access_token", mint(tenant, app, audience, lifetime));
    entraHeaders(ctx);
    StandInHttp.sendJson(ctx, 200, JSON, body);
  }

  private String mint(String tenant, App app, String audience, long lifetimeSeconds) {
    return signingKey.sign(claims(tenant, app, audience, lifetimeSeconds));
  }

  private JsonObject claims(String tenant, App app, String audience, long lifetimeSeconds) {
    long now = clock.instant().getEpochSecond();
    JsonObject claims = new JsonObject()
        .put("aud", audience)
        .put("iss", issuer(tenant))
        .put("iat", now)
        .put("nbf", now)
        .put("exp", now + lifetimeSeconds)
        .put("aio", randomOpaque())
        .put("appid", app.clientId())
        .put("azp", app.clientId())
        .put("azpacr", "1")
        .put("idtyp", "app")
        .put("oid", app.objectId())
        .put("rh", randomOpaque())
        .put("sub", app.objectId())
        .put("tid", tenant)
        .put("uti", randomOpaque())
        .put("ver", "2.0");
    if (!app.roles().isEmpty()) {
      claims.put("roles", new JsonArray(app.roles())); // Entra leaves the claim out when none are granted
    }
    return claims;
  }

  private void keys(RoutingContext ctx) {
    jwksRequests.incrementAndGet();
    if (jwksDown) {
      ctx.response().setStatusCode(503).end();
      return;
    }
    String tenant = ctx.pathParam("tenant");
    if (!knownTenant(ctx, tenant)) {
      return;
    }
    JsonArray keys = new JsonArray();
    for (SigningKey key : publishedKeys) {
      keys.add(key.jwk().put("issuer", issuer(tenant)));
    }
    entraHeaders(ctx);
    StandInHttp.sendJson(ctx, 200, JSON, new JsonObject().put("keys", keys));
  }

  private void openIdConfiguration(RoutingContext ctx) {
    String tenant = ctx.pathParam("tenant");
    if (!knownTenant(ctx, tenant)) {
      return;
    }
    JsonObject configuration = new JsonObject()
        .put("token_endpoint", tokenUrl(tenant))
        .put("token_endpoint_auth_methods_supported",
            new JsonArray().add("client_secret_post").add("client_secret_basic"))
        .put("jwks_uri", jwksUrl(tenant))
        .put("issuer", issuer(tenant))
        .put("id_token_signing_alg_values_supported", new JsonArray().add("RS256"))
        .put("grant_types_supported", new JsonArray().add("client_credentials"))
        .put("tenant_region_scope", null)
        .put("cloud_instance_name", "microsoftonline.com");
    entraHeaders(ctx);
    StandInHttp.sendJson(ctx, 200, JSON, configuration);
  }

  private boolean knownTenant(RoutingContext ctx, String tenant) {
    if (tenants.contains(tenant)) {
      return true;
    }
    entraError(ctx, 400, "invalid_tenant", 90002, "Tenant '" + tenant + "' not found.");
    return false;
  }

  private void missingParameter(RoutingContext ctx, String name) {
    entraError(ctx, 400, "invalid_request", 900144,
        "The request body must contain the following parameter: '" + name + "'.");
  }

  /** Entra's error body; the description never repeats a secret, only ids and codes. */
  void entraError(RoutingContext ctx, int status, String error, int code, String message) {
    String traceId = entraHeaders(ctx);
    String correlationId = correlationId(ctx);
    String timestamp = ERROR_TIMESTAMP.format(clock.instant());
    JsonObject body = new JsonObject()
        .put("error", error)
        .put("error_description", "AADSTS" + code + ": " + message + " Trace ID: " + traceId
            + " Correlation ID: " + correlationId + " Timestamp: " + timestamp)
        .put("error_codes", new JsonArray().add(code))
        .put("timestamp", timestamp)
        .put("trace_id", traceId)
        .put("correlation_id", correlationId)
        .put("error_uri", baseUrl() + "/error?code=" + code);
    StandInHttp.sendJson(ctx, status, JSON, body);
  }

  /** Sets the headers Entra sends on every reply; yields the trace id. */
  private String entraHeaders(RoutingContext ctx) {
    String traceId = ctx.get("traceId");
    if (traceId == null) {
      traceId = StandInHttp.newGuid();
      ctx.put("traceId", traceId);
      ctx.response()
          .putHeader("Cache-Control", "no-store, no-cache")
          .putHeader("Pragma", "no-cache")
          .putHeader("x-ms-request-id", traceId)
          .putHeader("client-request-id", correlationId(ctx));
    }
    return traceId;
  }

  private static String correlationId(RoutingContext ctx) {
    String fromClient = ctx.request().getHeader("client-request-id");
    if (fromClient != null) {
      return fromClient;
    }
    String generated = ctx.get("correlationId");
    if (generated == null) {
      generated = StandInHttp.newGuid();
      ctx.put("correlationId", generated);
    }
    return generated;
  }

  private synchronized InjectedFailure takeInjectedFailure(String clientId) {
    InjectedFailure current = injectedFailure;
    if (current == null || (current.clientId() != null && !current.clientId().equals(clientId))) {
      return null;
    }
    injectedFailure = current.remaining() > 1 ? current.once() : null;
    return current;
  }

  /** client_secret_basic: both parts are form-urlencoded before being joined (RFC 6749 §2.3.1). */
  private static String[] basicCredentials(HttpServerRequest req) {
    String authorization = req.getHeader("Authorization");
    if (authorization == null || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
      return null;
    }
    String decoded;
    try {
      decoded = new String(Base64.getDecoder().decode(authorization.substring(6).trim()),
          StandardCharsets.UTF_8);
    } catch (IllegalArgumentException notBase64) {
      return null;
    }
    int colon = decoded.indexOf(':');
    if (colon < 0) {
      return null;
    }
    return new String[] {
        URLDecoder.decode(decoded.substring(0, colon), StandardCharsets.UTF_8),
        URLDecoder.decode(decoded.substring(colon + 1), StandardCharsets.UTF_8)};
  }

  private static byte[] bytes(String value) {
    return value.getBytes(StandardCharsets.UTF_8);
  }

  private static String randomOpaque() {
    return BASE64URL.encodeToString(StandInHttp.newGuid().getBytes(StandardCharsets.UTF_8));
  }

  /** An app registration and its credentials, which tests change while the gateway runs. */
  static final class App {
    final String clientId;
    final String objectId;
    final List<String> roles;
    final Set<String> secrets = ConcurrentHashMap.newKeySet();
    final Set<String> expiredSecrets = ConcurrentHashMap.newKeySet();
    final List<X509Certificate> certificates = new CopyOnWriteArrayList<>();
    final List<Federated> federated = new CopyOnWriteArrayList<>();

    App(String clientId, String objectId, List<String> roles) {
      this.clientId = clientId;
      this.objectId = objectId;
      this.roles = roles;
    }

    String clientId() {
      return clientId;
    }

    String objectId() {
      return objectId;
    }

    List<String> roles() {
      return roles;
    }
  }

  record Federated(String issuer, String subject, PublicKey key) {}

  private record ManagedIdentity(String tenant, App app) {}

  Clock clock() {
    return clock;
  }

  /**
   * The instance metadata service: {@code GET ?api-version&resource&client_id} with {@code Metadata: true}, answered
   * with a token minted like an app-only token for the managed identity (IMDS sends the numbers as strings).
   */
  private void managedIdentityToken(RoutingContext ctx) {
    tokenRequests.incrementAndGet();
    HttpServerRequest req = ctx.request();
    if (!"true".equalsIgnoreCase(req.getHeader("Metadata"))) {
      imdsError(ctx, 400, "invalid_request", "Required metadata header not specified");
      return;
    }
    String resource = req.getParam("resource");
    if (resource == null || resource.isBlank()) {
      imdsError(ctx, 400, "invalid_request", "Required query variable 'resource' is missing");
      return;
    }
    String clientId = req.getParam("client_id");
    ManagedIdentity identity = managedIdentities.get(String.valueOf(clientId != null ? clientId : defaultManagedIdentity));
    if (identity == null) {
      imdsError(ctx, 400, "invalid_request", "Identity not found");
      return;
    }
    long lifetime = tokenLifetime.toSeconds();
    long now = clock.instant().getEpochSecond();
    JsonObject body = new JsonObject()
        .put("access_token", mint(identity.tenant(), identity.app(), audience(resource), lifetime))
        .put("client_id", identity.app().clientId())
        .put("expires_in", Long.toString(lifetime))
        .put("expires_on", Long.toString(now + lifetime))
        .put("ext_expires_in", Long.toString(lifetime))
        .put("not_before", Long.toString(now))
        .put("resource", resource)
        .put("token_type", "Bearer");
    StandInHttp.sendJson(ctx, 200, JSON, body);
  }

  /**
   * App Service's identity endpoint ({@code api-version=2019-08-01}): {@code X-IDENTITY-HEADER} must be the platform's
   * value, and the answer says when the token expires ({@code expires_on}), not how long it lasts.
   */
  private void appServiceIdentityToken(RoutingContext ctx) {
    tokenRequests.incrementAndGet();
    HttpServerRequest req = ctx.request();
    if (!appServiceIdentityHeader.equals(req.getHeader("X-IDENTITY-HEADER"))) {
      StandInHttp.sendJson(ctx, 401, JSON, new JsonObject().put("statusCode", 401).put("message", "Unauthorized"));
      return;
    }
    String resource = req.getParam("resource");
    ManagedIdentity identity = managedIdentities.get(String.valueOf(req.getParam("client_id")));
    if (!"2019-08-01".equals(req.getParam("api-version")) || resource == null || identity == null) {
      StandInHttp.sendJson(ctx, 400, JSON, new JsonObject().put("statusCode", 400)
          .put("message", "api-version 2019-08-01, a resource and a known client_id are required"));
      return;
    }
    long lifetime = tokenLifetime.toSeconds();
    StandInHttp.sendJson(ctx, 200, JSON, new JsonObject()
        .put("access_token", mint(identity.tenant(), identity.app(), audience(resource), lifetime))
        .put("expires_on", Long.toString(clock.instant().getEpochSecond() + lifetime))
        .put("resource", resource)
        .put("token_type", "Bearer")
        .put("client_id", identity.app().clientId()));
  }

  /** IMDS takes a resource; a scope's {@code /.default} and trailing slashes are not part of the audience. */
  private static String audience(String resource) {
    String audience = resource.endsWith("/.default") ? resource.substring(0, resource.length() - 9) : resource;
    return audience.replaceAll("/+$", "");
  }

  private static void imdsError(RoutingContext ctx, int status, String error, String description) {
    StandInHttp.sendJson(ctx, status, JSON, new JsonObject().put("error", error).put("error_description", description));
  }

  private record InjectedFailure(String clientId, int remaining, int status, String error, int aadstsCode) {
    InjectedFailure once() {
      return new InjectedFailure(clientId, remaining - 1, status, error, aadstsCode);
    }
  }

  private record SigningKey(String kid, RSAPrivateKey privateKey, RSAPublicKey publicKey) {

    static SigningKey generate() throws GeneralSecurityException {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      KeyPair pair = generator.generateKeyPair();
      RSAPublicKey publicKey = (RSAPublicKey) pair.getPublic();
      // Entra's key ids are base64url SHA-1 thumbprints; this one is of the public key.
      byte[] thumbprint = MessageDigest.getInstance("SHA-1").digest(publicKey.getEncoded());
      return new SigningKey(BASE64URL.encodeToString(thumbprint), (RSAPrivateKey) pair.getPrivate(),
          publicKey);
    }

    String sign(JsonObject claims) {
      return sign(new JsonObject().put("typ", "JWT").put("alg", "RS256").put("kid", kid), claims);
    }

    String sign(JsonObject header, JsonObject claims) {
      String signingInput = BASE64URL.encodeToString(bytes(header.encode())) + "."
          + BASE64URL.encodeToString(bytes(claims.encode()));
      try {
        Signature rsa = Signature.getInstance("SHA256withRSA");
        rsa.initSign(privateKey);
        rsa.update(bytes(signingInput));
        return signingInput + "." + BASE64URL.encodeToString(rsa.sign());
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("cannot sign a token with RS256", e);
      }
    }

    /** Like Entra's keys: no "alg" member, verifiers assume RS256 for RSA keys. */
    JsonObject jwk() {
      return new JsonObject()
          .put("kty", "RSA")
          .put("use", "sig")
          .put("kid", kid)
          .put("n", unsignedBase64Url(publicKey.getModulus()))
          .put("e", unsignedBase64Url(publicKey.getPublicExponent()));
    }

    private static String unsignedBase64Url(BigInteger value) {
      byte[] bytes = value.toByteArray();
      if (bytes[0] == 0 && bytes.length > 1) {
        bytes = Arrays.copyOfRange(bytes, 1, bytes.length);
      }
      return BASE64URL.encodeToString(bytes);
    }
  }
}
