package dev.spgateway.credential;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Service-principal tokens from Entra ID, cached per (service principal, scope).
 *
 * <ul>
 *   <li>One token request in flight per key, however many callers wait: Caffeine's
 *       {@code AsyncCache.get} hands every caller the same future while it loads.
 *   <li>An entry expires a little before its token does (per-entry {@link Expiry}, checked again
 *       as it is handed out), so a token past its expiry is never handed out.
 *   <li>Refresh ahead: Caffeine's {@code refreshAfterWrite} is one fixed duration for all entries,
 *       but each token has its own lifetime; and its {@code refresh(key)} has no back-off after a
 *       failure, and logs each one with a stack trace. So each entry carries its own refresh moment: the first
 *       caller that reads it inside the refresh window claims the refresh (one atomic swap), gets the
 *       current token at once, and starts one background request. Success replaces the entry only if
 *       it is still the one refreshed (an {@link #evict} in between wins); failure leaves the old
 *       token in place until it expires and lets the next caller retry after
 *       {@link #REFRESH_RETRY_INTERVAL}.
 * </ul>
 *
 * <p>Futures complete on the caller's Vert.x context. Nothing here blocks.
 */
public final class TokenService implements TokenSource {

  /** A failed refresh is retried no sooner than this, while the old token is still served. */
  static final Duration REFRESH_RETRY_INTERVAL = Duration.ofSeconds(5);
  /**
   * An entry is dropped this long before its token expires, so a token handed out is still valid
   * when the upstream reads it. Capped at a tenth of the token's life for short-lived tokens.
   */
  static final Duration SAFETY_SKEW = Duration.ofSeconds(30);

  private static final Logger log = LoggerFactory.getLogger(TokenService.class);

  private final Vertx vertx;
  private final TokenClient tokenClient;
  /** Replaced together by {@link #reconfigure}; a fetch reads the pair once. */
  private volatile Principals current;
  private final TokenSettings settings;
  private final MeterRegistry registry;
  private final Clock clock;
  // A strong reference: CaffeineCacheMetrics only holds the cache weakly.
  private final AsyncCache<Key, Entry> cache;
  /** The latest background refresh per key, so tests can wait for one to settle. */
  private final Map<Key, Future<Void>> refreshes = new ConcurrentHashMap<>();

  public TokenService(
      Vertx vertx,
      WebClient client,
      URI authority,
      Map<String, ServicePrincipalConfig> principals,
      SecretStore secrets,
      TokenSettings settings,
      MeterRegistry registry) {
    this(vertx, client, authority, principals, secrets, settings, registry, Clock.systemUTC());
  }

  /** @param clock the time tokens are judged by; tests move it by hand */
  public TokenService(
      Vertx vertx,
      WebClient client,
      URI authority,
      Map<String, ServicePrincipalConfig> principals,
      SecretStore secrets,
      TokenSettings settings,
      MeterRegistry registry,
      Clock clock) {
    this.vertx = vertx;
    this.tokenClient = new TokenClient(client, authority, clock);
    this.current = new Principals(Map.copyOf(principals), secrets);
    this.settings = settings;
    this.registry = registry;
    this.clock = clock;
    // Token expiries are wall-clock instants, so the cache's ticker reads the same clock. It counts
    // from construction to keep Caffeine's nanosecond arithmetic far from overflow.
    Instant origin = clock.instant();
    this.cache = Caffeine.newBuilder()
        .ticker(() -> Duration.between(origin, clock.instant()).toNanos())
        .expireAfter(new UntilUnusable(origin))
        // Cache upkeep is a few map operations: run it on the caller rather than hand it to another thread.
        .executor(Runnable::run)
        .recordStats()
        .buildAsync();
    CaffeineCacheMetrics.monitor(registry, cache, "tokens");
  }

  /**
   * A reloaded config's service principals, with a store holding every secret they name (loaded before this
   * call). The cache survives: only tokens of a principal whose config changed are dropped. A principal
   * removed by a reload stays known, so requests still under way with the old config finish.
   */
  public void reconfigure(Map<String, ServicePrincipalConfig> principals, SecretStore secrets) {
    Map<String, ServicePrincipalConfig> before = current.principals();
    Map<String, ServicePrincipalConfig> merged = new java.util.HashMap<>(before);
    merged.putAll(principals);
    current = new Principals(Map.copyOf(merged), secrets);
    cache.asMap().keySet().removeIf(key -> principals.containsKey(key.servicePrincipal())
        && !principals.get(key.servicePrincipal()).equals(before.get(key.servicePrincipal())));
  }

  @Override
  public Future<AccessToken> token(String servicePrincipal, String scope) {
    Context context = vertx.getOrCreateContext();
    Map<String, ServicePrincipalConfig> principals = current.principals();
    if (!principals.containsKey(servicePrincipal)) {
      return Future.failedFuture(new IllegalArgumentException(
          "unknown service principal '" + servicePrincipal + "'; configured: " + new TreeSet<>(principals.keySet())));
    }
    return token(new Key(servicePrincipal, scope), context, true);
  }

  private Future<AccessToken> token(Key key, Context context, boolean mayReload) {
    CompletableFuture<Entry> entry = cache.get(key, (k, executor) -> load(k));
    // Caffeine drops a failed load, and starts an entry's expiry, only once it has seen the load
    // complete, which may be just after this caller did: so both are also done here, at once.
    // The common case, a cached token, is read at once: no hop through the event loop's task queue.
    Future<Entry> ready = entry.isDone() && !entry.isCompletedExceptionally()
        ? Future.succeededFuture(entry.join())
        : Future.fromCompletionStage(entry, context);
    return ready.transform(loaded -> {
      if (loaded.failed() || loaded.result().failure != null) {
        cache.asMap().remove(key, entry);
        return Future.failedFuture(loaded.failed() ? loaded.cause() : loaded.result().failure);
      }
      Entry current = loaded.result();
      if (!clock.instant().isBefore(current.usableUntil)) {
        cache.asMap().remove(key, entry);
        return mayReload ? token(key, context, false) : Future.failedFuture(tooShortLived(key));
      }
      refreshIfDue(key, entry, current);
      return Future.succeededFuture(current.token);
    });
  }

  /**
   * Forgets {@code rejected} after an upstream answered 401 to it, so the next {@link #token} asks
   * for a new one. Does nothing when the cache already holds another token for the key (a refresh
   * or an earlier eviction got there first).
   */
  public void evict(String servicePrincipal, String scope, AccessToken rejected) {
    cache.asMap().computeIfPresent(new Key(servicePrincipal, scope), (key, entry) ->
        entry.isDone() && !entry.isCompletedExceptionally() && entry.join().token != null
            && entry.join().token.value().equals(rejected.value())
            ? null
            : entry);
  }

  /** Visible for tests: completes once the latest background refresh for the key has settled. */
  Future<Void> pendingRefresh(String servicePrincipal, String scope) {
    return refreshes.getOrDefault(new Key(servicePrincipal, scope), Future.succeededFuture());
  }

  /**
   * A failed fetch completes the load normally, with an entry holding the failure (already unusable, removed by
   * {@link #token}): Caffeine logs every exceptionally completed load with its stack trace, and an expected
   * failure gets one line (the fetch's own).
   */
  private CompletableFuture<Entry> load(Key key) {
    return fetch(key).map(this::entryFor).otherwise(failure -> new Entry(failure, clock.instant()))
        .toCompletionStage().toCompletableFuture();
  }

  private void refreshIfDue(Key key, CompletableFuture<Entry> cached, Entry current) {
    Instant due = current.nextRefresh.get();
    if (clock.instant().isBefore(due) || !current.nextRefresh.compareAndSet(due, Instant.MAX)) {
      return;
    }
    refreshes.put(key, fetch(key).transform(fetched -> {
      if (fetched.succeeded()) {
        cache.asMap().replace(key, cached, CompletableFuture.completedFuture(entryFor(fetched.result())));
      } else {
        current.nextRefresh.set(clock.instant().plus(REFRESH_RETRY_INTERVAL));
      }
      return Future.<Void>succeededFuture();
    }));
  }

  private TokenException tooShortLived(Key key) {
    ServicePrincipalConfig principal = current.principals().get(key.servicePrincipal());
    return TokenException.invalidResponse(key.servicePrincipal(), principal.clientId(), 200,
        "token for scope '" + key.scope() + "' expired before it could be used");
  }

  private Entry entryFor(AccessToken token) {
    Instant now = clock.instant();
    Duration lifetime = Duration.between(now, token.expiresAt());
    Duration tenthOfLife = lifetime.isNegative() ? Duration.ZERO : lifetime.dividedBy(10);
    Duration skew = SAFETY_SKEW.compareTo(tenthOfLife) < 0 ? SAFETY_SKEW : tenthOfLife;
    return new Entry(token, token.expiresAt().minus(skew), settings.refreshAt(now, token.expiresAt()));
  }

  /** One token request, counted and timed; fails with a {@link TokenException} only. */
  private Future<AccessToken> fetch(Key key) {
    String name = key.servicePrincipal();
    Principals now = current;
    ServicePrincipalConfig principal = now.principals().get(name);
    String secret;
    try {
      if (principal.secret() == null || principal.secret().keyVault() == null) {
        throw new IllegalStateException("no client secret is configured");
      }
      secret = now.secrets().secret(principal.secret().keyVault());
    } catch (RuntimeException unavailable) {
      TokenException failure = TokenException.secretUnavailable(name, principal.clientId(), unavailable.getMessage());
      count(name, failure.outcome());
      log.warn(failure.getMessage());
      return Future.failedFuture(failure);
    }
    Timer.Sample sample = Timer.start(registry);
    return tokenClient.request(name, principal, secret, key.scope(), settings.requestTimeout())
        .andThen(result -> {
          sample.stop(Timer.builder("gateway.token.request.duration")
              .description("Time taken by token requests to Entra ID")
              .tag("service_principal", name)
              .register(registry));
          if (result.succeeded()) {
            count(name, "success");
            log.debug("token for service principal '{}' scope '{}' valid until {}",
                name, key.scope(), result.result().expiresAt());
          } else {
            count(name, ((TokenException) result.cause()).outcome());
            log.warn("{} (scope '{}')", result.cause().getMessage(), key.scope());
          }
        });
  }

  private void count(String servicePrincipal, String outcome) {
    Counter.builder("gateway.token.requests")
        .description("Token requests to Entra ID by outcome")
        .tag("service_principal", servicePrincipal)
        .tag("outcome", outcome)
        .register(registry)
        .increment();
  }

  private record Key(String servicePrincipal, String scope) {}

  private record Principals(Map<String, ServicePrincipalConfig> principals, SecretStore secrets) {}

  /** A cached token, when it stops being handed out, and the state of its renewal. */
  private static final class Entry {
    final AccessToken token;
    final Instant usableUntil;
    /** When the next refresh may start; {@link Instant#MAX} while one is in flight. */
    final AtomicReference<Instant> nextRefresh;
    /** Why the fetch failed; then there is no token. */
    final Throwable failure;

    Entry(AccessToken token, Instant usableUntil, Instant refreshAt) {
      this.token = token;
      this.usableUntil = usableUntil;
      this.nextRefresh = new AtomicReference<>(refreshAt);
      this.failure = null;
    }

    Entry(Throwable failure, Instant now) {
      this.token = null;
      this.usableUntil = now;
      this.nextRefresh = new AtomicReference<>(Instant.MAX);
      this.failure = failure;
    }
  }

  /** Expires each entry at its own {@link Entry#usableUntil}, on the cache's ticker. */
  private record UntilUnusable(Instant origin) implements Expiry<Key, Entry> {
    @Override
    public long expireAfterCreate(Key key, Entry entry, long currentTime) {
      return Math.max(0, Duration.between(origin, entry.usableUntil).toNanos() - currentTime);
    }

    @Override
    public long expireAfterUpdate(Key key, Entry entry, long currentTime, long currentDuration) {
      return expireAfterCreate(key, entry, currentTime);
    }

    @Override
    public long expireAfterRead(Key key, Entry entry, long currentTime, long currentDuration) {
      return currentDuration;
    }
  }
}
