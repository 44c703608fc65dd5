package dev.spgateway.identity;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.NoSuchKeyIdException;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.impl.jose.JWT;
import io.vertx.ext.web.client.WebClient;
import java.net.URI;
import java.nio.ByteBuffer;
import java.security.SignatureException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Finds the caller an Entra ID access token belongs to, as Microsoft's guidance for protected web APIs says:
 * RS256 signature against the accepted tenants' published keys (vertx-auth-jwt verifies it and decodes the
 * claims), then {@code exp}/{@code nbf} with {@link #CLOCK_SKEW}, {@code iss} in its v1 or v2 form for an
 * accepted tenant and matching {@code tid} and {@code ver}, {@code aud} among the gateway's own audiences, and
 * an access token's {@code azp}/{@code appid}. The caller is the one configured with that object id
 * ({@code oid}) or app id; it must hold its required app roles ({@code roles}).
 *
 * <p>A token accepted once is remembered by its SHA-256 until it expires (a bounded cache), so a script
 * reusing its token costs one hash and one lookup per request.
 */
public final class EntraAuthenticator {

  public static final Duration CLOCK_SKEW = Duration.ofMinutes(5);
  /** Entra ID access tokens are 1-3 KB; anything far longer is not one. */
  public static final int MAX_TOKEN_CHARS = 16 * 1024;
  static final int CACHE_SIZE = 10_000;
  private static final String SCHEME = "Bearer ";
  private static final String RS256 = "RS256";

  private record Entry(String name, String appId, List<String> roles) {}

  /** {@code retirements}: the key set's count of retired keys when this was checked. */
  private record Validated(Caller caller, long expiresAtNanos, int retirements) {}

  private final EntraSigningKeys keys;
  private final Map<String, String> tenantByV2Issuer;
  private final Map<String, String> tenantByV1Issuer;
  private final Set<String> audiences;
  private final String audienceHint;
  private final Map<String, Entry> byObjectId;
  /** Callers identified by app id alone (no objectId). */
  private final Map<String, Entry> byAppId;
  private final Cache<ByteBuffer, Validated> validated;
  private final Clock clock;

  /**
   * The authenticator of one config generation: its callers, over the gateway's signing keys. Cheap to build;
   * its validation cache starts empty, so a reload that changes a caller's identity takes effect at once.
   */
  public EntraAuthenticator(EntraSigningKeys keys, URI authority, EntraTokenConfig config,
      Map<String, EntraCallerConfig> callers, Clock clock) {
    this.keys = keys;
    this.clock = clock;
    String base = authority.toString().replaceAll("/+$", "");
    String v1Base = config.v1Issuer().toString().replaceAll("/+$", "");
    Map<String, String> v2 = new HashMap<>();
    Map<String, String> v1 = new HashMap<>();
    config.tenants().forEach(tenant -> {
      v2.put(base + "/" + tenant + "/v2.0", tenant);
      v1.put(v1Base + "/" + tenant + "/", tenant);
    });
    this.tenantByV2Issuer = Map.copyOf(v2);
    this.tenantByV1Issuer = Map.copyOf(v1);
    this.audiences = Set.copyOf(config.audiences());
    this.audienceHint = String.join(", ", new TreeSet<>(config.audiences()));
    Map<String, Entry> byObject = new HashMap<>();
    Map<String, Entry> byApp = new HashMap<>();
    callers.forEach((name, entra) -> {
      Entry entry = new Entry(name, entra.appId(), entra.roles());
      if (entra.objectId() != null) byObject.put(entra.objectId().toLowerCase(Locale.ROOT), entry);
      else byApp.put(entra.appId().toLowerCase(Locale.ROOT), entry);
    });
    this.byObjectId = Map.copyOf(byObject);
    this.byAppId = Map.copyOf(byApp);
    this.validated = Caffeine.newBuilder()
        .maximumSize(CACHE_SIZE)
        .ticker(() -> clock.millis() * 1_000_000L)
        .expireAfter(new Expiry<ByteBuffer, Validated>() {
          @Override
          public long expireAfterCreate(ByteBuffer key, Validated value, long now) {
            return Math.max(0, value.expiresAtNanos() - now);
          }

          @Override
          public long expireAfterUpdate(ByteBuffer key, Validated value, long now, long current) {
            return expireAfterCreate(key, value, now);
          }

          @Override
          public long expireAfterRead(ByteBuffer key, Validated value, long now, long current) {
            return current;
          }
        })
        .build();
  }

  /**
   * Fetches the signing keys and builds an authenticator over them (for a gateway without reloads, tests and
   * benchmarks). Always completes: without keys (Entra ID unreachable) it refuses tokens with 503 and keeps trying
   * in the background; see {@link EntraSigningKeys#start()}. {@link #close()} stops the keys' refresh.
   */
  public static Future<EntraAuthenticator> start(Vertx vertx, WebClient client, URI authority,
      EntraTokenConfig config, Map<String, EntraCallerConfig> callers, Clock clock) {
    EntraSigningKeys keys = new EntraSigningKeys(vertx, client, authority, config.tenants(), clock);
    return keys.start().map(started -> new EntraAuthenticator(keys, authority, config, callers, clock));
  }

  /** Stops the background refresh of the signing keys. */
  public void close() {
    keys.close();
  }

  /**
   * The caller named by the {@code Authorization} header's value {@code Bearer <token>}, or a failed future
   * with a {@link TokenRefusal}. Completes on the calling context.
   */
  public Future<Caller> authenticate(String authorization) {
    if (authorization.length() > SCHEME.length() + MAX_TOKEN_CHARS) { // before hashing it
      return Future.failedFuture(malformed("the token is longer than " + MAX_TOKEN_CHARS
          + " characters; Entra ID access tokens are a few KB"));
    }
    ByteBuffer hash = ByteBuffer.wrap(ApiKeys.sha256(authorization));
    Validated known = validated.getIfPresent(hash);
    if (known != null && known.retirements() == keys.retirements()) return Future.succeededFuture(known.caller());
    try {
      String token = token(authorization);
      Context caller = Vertx.currentContext();
      int retirementsSeen = keys.retirements(); // read before the check: a key retired meanwhile forces a recheck
      Future<Caller> result = verify(token, true).map(claims -> remember(hash, claims, retirementsSeen));
      if (caller == null || result.isComplete()) return result;
      // A shared key fetch may complete on another event loop: hand the answer back to the caller's.
      Promise<Caller> onCaller = Promise.promise();
      result.onComplete(outcome -> {
        if (Vertx.currentContext() == caller) onCaller.handle(outcome);
        else caller.runOnContext(nothing -> onCaller.handle(outcome));
      });
      return onCaller.future();
    } catch (TokenRefusal refusal) {
      return Future.failedFuture(refusal);
    }
  }

  /** RFC 6750: {@code Bearer} (any case), one space, a b64token; nothing before, between or after. */
  private static String token(String authorization) {
    if (!authorization.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
      throw malformed("the Authorization header must be `Bearer <access token>`");
    }
    String token = authorization.substring(SCHEME.length());
    if (token.isEmpty() || !isB64Token(token)) {
      throw malformed("`Bearer` must be followed by one space and the access token, and nothing else");
    }
    return token;
  }

  private static boolean isB64Token(String token) {
    int i = 0;
    int length = token.length();
    for (; i < length; i++) {
      char c = token.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
      if (!ok) break;
    }
    if (i == 0) return false;
    while (i < length && token.charAt(i) == '=') i++;
    return i == length;
  }

  /** Signature (vertx-auth-jwt), then claims; an unknown key id brings one key refresh, at most once a minute. */
  private Future<JsonObject> verify(String token, boolean mayRefresh) {
    EntraSigningKeys.KeySet keySet = keys.current();
    if (keySet == null) {
      return keys.refreshIfAllowed().transform(refreshed -> refreshed.succeeded() && refreshed.result() != null
          ? verify(token, false)
          : Future.failedFuture(new TokenRefusal(503, "entra-keys-unavailable", null,
              "the gateway could not fetch Entra ID's signing keys yet, so it cannot check tokens; try again in a"
                  + " minute (or use your API key)")));
    }
    Future<User> verified = keySet.verifier().authenticate(new TokenCredentials(token));
    return verified.transform(outcome -> {
      if (outcome.succeeded()) return checkClaims(outcome.result().attributes().getJsonObject("accessToken"));
      Throwable failure = outcome.cause();
      if (failure instanceof NoSuchKeyIdException) {
        JsonObject header = header(token);
        String alg = header.getString("alg");
        if (!RS256.equals(alg)) {
          return Future.failedFuture(signature("tokens signed with '" + printable(alg)
              + "' are not accepted; Entra ID signs access tokens with RS256"));
        }
        String kid = header.getString("kid");
        if (mayRefresh && kid != null && !keySet.kids().contains(kid)) {
          return keys.refreshIfAllowed().transform(refreshed -> verify(token, false));
        }
        return Future.failedFuture(signature("the token is signed with key '" + printable(kid)
            + "', which Entra ID does not (or no longer) publish for the accepted tenants; get a new token"));
      }
      if (failure instanceof SignatureException || failure.getCause() instanceof SignatureException) {
        return Future.failedFuture(signature("the signature does not match the token: it was altered, or not"
            + " signed by Entra ID"));
      }
      if (failure instanceof IllegalStateException) { // alg none, no signature, an empty signature
        return Future.failedFuture(signature("the token is not signed; Entra ID access tokens are signed with RS256"));
      }
      return Future.failedFuture(malformed("the token is not a signed JWT; send the access_token Entra ID issued"));
    });
  }

  /** The token's header as vertx-auth-jwt parses it, to say why no key fits. */
  private static JsonObject header(String token) {
    try {
      JsonObject header = JWT.parse(token).getJsonObject("header");
      return header == null ? new JsonObject() : header;
    } catch (RuntimeException notAJwt) {
      return new JsonObject();
    }
  }

  private Future<JsonObject> checkClaims(JsonObject claims) {
    long now = clock.instant().getEpochSecond();
    Long exp = numericDate(claims, "exp");
    if (exp == null) return Future.failedFuture(malformed("the token has no expiry (exp); Entra ID tokens always do"));
    if (now >= exp + CLOCK_SKEW.toSeconds()) {
      return Future.failedFuture(new TokenRefusal(401, "token-expired", TokenRefusal.INVALID_TOKEN,
          "the token expired at " + Instant.ofEpochSecond(exp) + "; get a new one (Azure Identity libraries"
              + " renew tokens before they expire)"));
    }
    Long nbf = numericDate(claims, "nbf");
    if (nbf != null && nbf > now + CLOCK_SKEW.toSeconds()) {
      return Future.failedFuture(new TokenRefusal(401, "token-not-yet-valid", TokenRefusal.INVALID_TOKEN,
          "the token is not valid before " + Instant.ofEpochSecond(nbf) + "; check this machine's clock"));
    }
    String iss = claims.getValue("iss") instanceof String s ? s : null;
    String tenant = tenantByV2Issuer.get(iss);
    boolean v1 = false;
    if (tenant == null) {
      tenant = tenantByV1Issuer.get(iss);
      v1 = tenant != null;
    }
    if (tenant == null) {
      return Future.failedFuture(issuer("the issuer '" + printable(iss) + "' is not an accepted tenant's"
          + " (v1 or v2 form); ask the gateway's operators to accept your tenant"));
    }
    if (!tenant.equals(claims.getValue("tid"))) {
      return Future.failedFuture(issuer("the token's tenant (tid) does not match its issuer"));
    }
    Object ver = claims.getValue("ver");
    if (ver != null && !(v1 ? "1.0" : "2.0").equals(ver)) {
      return Future.failedFuture(issuer("a version '" + printable(ver) + "' token with a v" + (v1 ? "1" : "2")
          + " issuer: the token was not issued by Entra ID as it is"));
    }
    if (!hasAudience(claims.getValue("aud"))) {
      return Future.failedFuture(new TokenRefusal(401, "token-wrong-audience", TokenRefusal.INVALID_TOKEN,
          "the token is for '" + printable(claims.getValue("aud")) + "', not for this gateway; ask Entra ID for"
              + " a token for one of: " + audienceHint));
    }
    if (!(claims.getValue("azp") instanceof String) && !(claims.getValue("appid") instanceof String)) {
      return Future.failedFuture(new TokenRefusal(401, "not-an-access-token", TokenRefusal.INVALID_TOKEN,
          "the token names no calling app (azp/appid): it is not an access token (an ID token?); ask Entra ID"
              + " for an access token for " + audienceHint));
    }
    return Future.succeededFuture(claims);
  }

  private boolean hasAudience(Object aud) {
    if (aud instanceof String one) return audiences.contains(one);
    if (aud instanceof JsonArray many) {
      for (Object one : many) if (one instanceof String s && audiences.contains(s)) return true;
    }
    return false;
  }

  /** The configured caller this genuine token belongs to, if it has the roles that caller needs. */
  private Caller remember(ByteBuffer hash, JsonObject claims, int retirementsSeen) {
    String appId = claims.getValue("azp") instanceof String azp ? azp : claims.getString("appid");
    String objectId = claims.getValue("oid") instanceof String oid ? oid : null;
    Entry entry = objectId == null ? null : byObjectId.get(objectId.toLowerCase(Locale.ROOT));
    if (entry != null && entry.appId() != null && !entry.appId().equalsIgnoreCase(appId)) entry = null;
    if (entry == null) entry = byAppId.get(appId.toLowerCase(Locale.ROOT));
    if (entry == null) {
      throw new TokenRefusal(401, "unknown-caller", TokenRefusal.INVALID_TOKEN, "the token is valid, but no caller"
          + " is configured for app id " + printable(appId) + (objectId == null ? "" : " / object id " + printable(objectId))
          + "; ask the gateway's operators to add it (callers.NAME.entra)", appId, objectId);
    }
    if (!entry.roles().isEmpty()) {
      Object granted = claims.getValue("roles");
      List<?> roles = granted instanceof JsonArray array ? array.getList() : List.of();
      List<String> missing = entry.roles().stream().filter(role -> !roles.contains(role)).toList();
      if (!missing.isEmpty()) {
        throw new TokenRefusal(403, "missing-role", TokenRefusal.INSUFFICIENT_SCOPE, "caller '" + entry.name()
            + "' needs the app role(s) " + String.join(", ", missing) + " of the gateway's app registration; ask an"
            + " Entra ID admin to assign them to app id " + printable(appId) + ", then get a new token", appId, objectId);
      }
    }
    Caller caller = new Caller(entry.name(), Caller.ENTRA, appId, objectId);
    long exp = numericDate(claims, "exp");
    validated.put(hash, new Validated(caller, exp * 1_000_000_000L, retirementsSeen));
    return caller;
  }

  private static Long numericDate(JsonObject claims, String name) {
    return claims.getValue(name) instanceof Number number ? number.longValue() : null;
  }

  /** Claim values shown to the caller: no quotes or control characters (they end up in a header), and short. */
  private static String printable(Object value) {
    String text = String.valueOf(value).replaceAll("[^A-Za-z0-9 ._:/@+~-]", "?");
    return text.length() > 100 ? text.substring(0, 100) + "..." : text;
  }

  private static TokenRefusal malformed(String detail) {
    return new TokenRefusal(401, "token-malformed", TokenRefusal.INVALID_TOKEN, detail);
  }

  private static TokenRefusal signature(String detail) {
    return new TokenRefusal(401, "token-bad-signature", TokenRefusal.INVALID_TOKEN, detail);
  }

  private static TokenRefusal issuer(String detail) {
    return new TokenRefusal(401, "token-wrong-issuer", TokenRefusal.INVALID_TOKEN, detail);
  }
}
