package dev.spgateway.identity;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The accepted tenants' token signing keys, from the JWKS that Entra ID's v2 metadata names
 * ({@code {authority}/{tenant}/discovery/v2.0/keys}). Fetched at start, then again in the background every
 * {@link #REFRESH_EVERY}, and when a token names a key id not among them, at most once per
 * {@link #MIN_REFETCH}: made-up key ids cannot turn into a stream of fetches. A failed fetch keeps the keys
 * fetched before, so a JWKS outage changes nothing for tokens signed with known keys. One instance serves the
 * gateway's whole run ({@code identity.entra} and {@code entra.authority} change only with a restart); each
 * config generation's {@link EntraAuthenticator} uses it.
 */
public final class EntraSigningKeys {

  static final Duration MIN_REFETCH = Duration.ofMinutes(1);
  static final Duration REFRESH_EVERY = Duration.ofHours(1);
  private static final long FETCH_TIMEOUT_MS = 10_000;
  private static final Logger LOG = LoggerFactory.getLogger(EntraSigningKeys.class);

  /** Every accepted tenant's keys as one verifier (Entra signs all tenants' tokens with the same keys). */
  record KeySet(JWTAuth verifier, Set<String> kids, Instant fetchedAt) {}

  private final Vertx vertx;
  private final WebClient client;
  private final Map<String, String> jwksUrls; // tenant → JWKS URL
  private final Clock clock;
  /** The last good keys of each tenant (JWKs, by kid). */
  private final Map<String, Map<String, JsonObject>> tenantKeys = new ConcurrentHashMap<>();
  /** Tenants whose last fetch failed: their outage is logged once, their recovery once. */
  private final Set<String> failing = ConcurrentHashMap.newKeySet();
  private final AtomicReference<Future<KeySet>> inFlight = new AtomicReference<>();
  private volatile KeySet keys; // null until a fetch succeeded
  private volatile Instant lastAttempt = Instant.EPOCH;
  /** How many refreshes retired a key: validations remembered before the last one are not trusted. */
  private volatile int retirements;
  private long timer = -1;

  public EntraSigningKeys(Vertx vertx, WebClient client, URI authority, List<String> tenants, Clock clock) {
    this.vertx = vertx;
    this.client = client;
    this.clock = clock;
    String base = authority.toString().replaceAll("/+$", "");
    Map<String, String> urls = new LinkedHashMap<>();
    tenants.forEach(tenant -> urls.put(tenant, base + "/" + tenant + "/discovery/v2.0/keys"));
    this.jwksUrls = Map.copyOf(urls);
  }

  /**
   * Fetches the keys once and starts the background refresh. Completes either way: when Entra ID cannot be
   * reached, the gateway starts without keys (API keys keep working), refuses tokens with 503 and tries again
   * every minute.
   */
  public Future<Void> start() {
    timer = vertx.setPeriodic(MIN_REFETCH.toMillis(), tick -> {
      KeySet current = keys;
      // Every hour; every minute while a tenant's fetch is failing (its keys may never have been fetched).
      if (current == null || !failing.isEmpty() || !clock.instant().isBefore(current.fetchedAt().plus(REFRESH_EVERY))) {
        refresh();
      }
    });
    return refresh().<Void>mapEmpty().otherwiseEmpty();
  }

  public void close() {
    if (timer >= 0) vertx.cancelTimer(timer);
  }

  /** The clock key refreshes and token expiry are judged by. */
  public Clock clock() {
    return clock;
  }

  int retirements() {
    return retirements;
  }

  /** The keys fetched so far, or null when no fetch has succeeded yet. */
  KeySet current() {
    return keys;
  }

  /** A fresh fetch if the last attempt is at least a minute old; otherwise the keys as they are (maybe null). */
  Future<KeySet> refreshIfAllowed() {
    if (clock.instant().isBefore(lastAttempt.plus(MIN_REFETCH))) return Future.succeededFuture(keys);
    return refresh();
  }

  /** Fetches every tenant's JWKS; concurrent callers share one fetch. */
  Future<KeySet> refresh() {
    Promise<KeySet> mine = Promise.promise();
    if (!inFlight.compareAndSet(null, mine.future())) {
      Future<KeySet> running = inFlight.get();
      return running != null ? running : refresh();
    }
    lastAttempt = clock.instant();
    List<Future<Void>> fetches = new ArrayList<>();
    jwksUrls.forEach((tenant, url) -> fetches.add(fetch(tenant, url)));
    Future.join(fetches).onComplete(done -> {
      inFlight.set(null);
      if (tenantKeys.isEmpty()) {
        mine.fail(new IllegalStateException("no Entra ID signing keys could be fetched"));
        return;
      }
      KeySet previous = keys;
      KeySet fresh = build();
      keys = fresh;
      if (previous != null && !fresh.kids().containsAll(previous.kids())) retirements++; // one writer: inFlight
      mine.complete(fresh);
    });
    return mine.future();
  }

  private Future<Void> fetch(String tenant, String url) {
    return client.getAbs(url).timeout(FETCH_TIMEOUT_MS).send()
        .compose(response -> jwks(response, url))
        .onSuccess(jwks -> {
          Map<String, JsonObject> byKid = new LinkedHashMap<>();
          jwks.forEach(jwk -> byKid.put(jwk.getString("kid"), jwk));
          boolean first = tenantKeys.put(tenant, byKid) == null;
          if (failing.remove(tenant)) {
            LOG.info("Entra ID signing keys of tenant {} fetched again from {} ({} keys)", tenant, url, byKid.size());
          } else if (first) {
            LOG.info("callers' Entra ID tokens of tenant {} are checked against {} keys from {}", tenant,
                byKid.size(), url);
          }
        })
        .recover(failure -> {
          if (failing.add(tenant)) {
            Map<String, JsonObject> kept = tenantKeys.get(tenant);
            LOG.warn("cannot fetch Entra ID signing keys of tenant {} from {}: {}; {}; trying again within {} min",
                tenant, url, failure.getMessage(), kept == null
                    ? "its tokens are refused (503) until the keys are fetched, API keys keep working"
                    : "tokens signed with the " + kept.size() + " keys fetched earlier keep working",
                MIN_REFETCH.toMinutes());
          }
          return Future.succeededFuture();
        })
        .mapEmpty();
  }

  /** The RSA signing keys of a JWKS response; anything else in the set cannot verify an Entra token. */
  private static Future<List<JsonObject>> jwks(HttpResponse<Buffer> response, String url) {
    if (response.statusCode() != 200) return Future.failedFuture("HTTP " + response.statusCode());
    JsonArray keys;
    try {
      keys = response.bodyAsJsonObject().getJsonArray("keys");
    } catch (RuntimeException notJson) {
      keys = null;
    }
    if (keys == null) return Future.failedFuture("the answer is not a JWKS (no \"keys\" array)");
    List<JsonObject> signing = new ArrayList<>();
    for (Object key : keys) {
      if (key instanceof JsonObject jwk && "RSA".equals(jwk.getString("kty")) && !"enc".equals(jwk.getString("use"))
          && jwk.getString("kid") != null && (jwk.getString("alg") == null || "RS256".equals(jwk.getString("alg")))) {
        signing.add(jwk);
      }
    }
    if (signing.isEmpty()) return Future.failedFuture("the JWKS holds no RSA signing key");
    return Future.succeededFuture(signing);
  }

  private KeySet build() {
    Map<String, JsonObject> union = new HashMap<>();
    tenantKeys.values().forEach(union::putAll);
    // Expiry and every other claim are checked by EntraAuthenticator, with its clock and Entra's rules.
    JWTAuthOptions options = new JWTAuthOptions().setJWTOptions(new JWTOptions().setIgnoreExpiration(true));
    union.values().forEach(options::addJwk);
    return new KeySet(JWTAuth.create(vertx, options), Set.copyOf(union.keySet()), clock.instant());
  }
}
