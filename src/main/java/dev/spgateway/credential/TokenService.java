package dev.spgateway.credential;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
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
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Service-principal tokens from Entra ID, cached per (service principal, scope): the gateway's one token cache,
 * whatever the kind of credential ({@link Credentials}).
 *
 * <ul>
 *   <li>One token request in flight per key, however many callers wait: Caffeine's
 *       {@code AsyncCache.get} hands every caller the same future while it loads.
 *   <li>An entry expires a little before its token does (per-entry {@link Expiry}, checked again
 *       as it is handed out), so a token past its expiry is never handed out.
 *   <li>Refresh ahead: each entry carries its own refresh moment (Caffeine's {@code refreshAfterWrite} is one
 *       duration for all, and has no back-off). The first caller inside the refresh window claims the refresh
 *       (one atomic swap), gets the current token at once, and starts one background request. Success replaces
 *       the entry only if it is still the one refreshed (an {@link #evict} in between wins).
 *   <li>Back-off: a failed request is remembered per key for a growing interval ({@link #FIRST_BACK_OFF}, doubling,
 *       at most {@link #LONGEST_BACK_OFF}, never shorter than Entra's {@code Retry-After}). While it lasts and no
 *       valid token is cached, callers are answered from it at once, and one background attempt is made per
 *       interval: at most one token request per key per interval, whatever the caller traffic. An episode is
 *       logged twice: when it starts and when it ends.
 *   <li>Eviction after an upstream's 401 happens at most once per key per {@link #EVICT_WINDOW}, so an upstream
 *       that refuses every token cannot make each call cost a token request.
 * </ul>
 *
 * <p>Futures complete on the caller's Vert.x context. Nothing here blocks.
 */
public final class TokenService implements TokenSource {

  /** The first pause after a failed token request; each further failure doubles it. */
  static final Duration FIRST_BACK_OFF = Duration.ofSeconds(2);
  static final Duration LONGEST_BACK_OFF = Duration.ofMinutes(2);
  /** A token is evicted after an upstream 401 at most once per key in this window. */
  static final Duration EVICT_WINDOW = Duration.ofSeconds(30);
  /**
   * An entry is dropped this long before its token expires, so a token handed out is still valid
   * when the upstream reads it. Capped at a tenth of the token's life for short-lived tokens.
   */
  static final Duration SAFETY_SKEW = Duration.ofSeconds(30);
  /** Seconds until each service principal's secret or certificate expires (NaN when unknown). */
  public static final String EXPIRY_METER = "gateway.credential.expiry";

  private static final Logger log = LoggerFactory.getLogger(TokenService.class);

  private final Vertx vertx;
  private volatile Credentials credentials;
  private final TokenSettings settings;
  private final MeterRegistry registry;
  private final Clock clock;
  // A strong reference: CaffeineCacheMetrics only holds the cache weakly.
  private final AsyncCache<Key, Entry> cache;
  /** The latest background request (refresh ahead, or a back-off's attempt) per key, so tests can await it. */
  private final Map<Key, Future<Void>> refreshes = new ConcurrentHashMap<>();
  private final Map<Key, BackOff> backOffs = new ConcurrentHashMap<>();
  private final Map<Key, Instant> evicted = new ConcurrentHashMap<>();
  /** The keys readiness reports on: every (service principal, upstream scope) the routes use. */
  private final Set<Key> watched = ConcurrentHashMap.newKeySet();
  private final Set<String> gauged = ConcurrentHashMap.newKeySet();

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
    this(vertx, Credentials.create(vertx, client, authority, principals, secrets, clock), settings, registry, clock);
  }

  /** @param credentials each service principal's credential, built from the config's slice */
  public TokenService(Vertx vertx, Credentials credentials, TokenSettings settings, MeterRegistry registry,
      Clock clock) {
    this.vertx = vertx;
    this.credentials = credentials;
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
    gaugeExpiry(credentials);
    registerMeters(credentials.names());
  }

  /** Present at 0 from the start (and from the reload that adds a principal), so alerts see the first failure. */
  private void registerMeters(Collection<String> servicePrincipals) {
    for (String name : servicePrincipals) {
      for (String outcome : List.of("success", TokenException.UNREACHABLE, TokenException.TIMEOUT,
          TokenException.INVALID_RESPONSE, TokenException.SECRET_UNAVAILABLE)) {
        requests(name, outcome);
      }
      durations(name);
    }
  }

  @Override
  public Future<AccessToken> token(String servicePrincipal, String scope) {
    Context context = vertx.getOrCreateContext();
    if (credentials.get(servicePrincipal).isEmpty()) {
      return Future.failedFuture(new IllegalArgumentException(
          "unknown service principal '" + servicePrincipal + "'; configured: " + credentials.names()));
    }
    return token(new Key(servicePrincipal, scope), context, true);
  }

  private Future<AccessToken> token(Key key, Context context, boolean mayReload) {
    CompletableFuture<Entry> cached = cache.getIfPresent(key);
    if (cached == null || cached.isDone()) {
      // No token, and Entra ID failed lately: answer from the failure and keep one attempt going.
      BackOff backOff = backOffs.get(key);
      boolean usable = cached != null && !cached.isCompletedExceptionally() && cached.join().failure == null
          && clock.instant().isBefore(cached.join().usableUntil);
      if (backOff != null && !usable) {
        attemptIfDue(key, backOff);
        return Future.failedFuture(backOff.forCaller(clock.instant()));
      }
    }
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
   * Forgets {@code rejected} after an upstream answered 401 to it, so the next {@link #token} asks for a new one;
   * at most once per key per {@link #EVICT_WINDOW}.
   *
   * @return true when the next {@link #token} will not hand out {@code rejected} again (evicted now, or already
   *     replaced); false when it was evicted within the window already, so asking again would only cost a token
   *     request for a token the upstream refuses too
   */
  @Override
  public boolean evict(String servicePrincipal, String scope, AccessToken rejected) {
    Key key = new Key(servicePrincipal, scope);
    CompletableFuture<Entry> cached = cache.getIfPresent(key);
    if (cached == null || !cached.isDone() || cached.isCompletedExceptionally() || cached.join().failure != null
        || !cached.join().token.value().equals(rejected.value())) {
      return true;
    }
    Instant now = clock.instant();
    Instant last = evicted.get(key);
    if (last != null && now.isBefore(last.plus(EVICT_WINDOW))) return false;
    evicted.put(key, now);
    cache.asMap().remove(key, cached);
    return true;
  }

  /**
   * Asks for each (service principal, scope) token now, so a wrong client id, secret or certificate shows at start
   * and in {@link #unready()}, not at the first call. Never fails: a principal that cannot get a token must not
   * keep the others from serving.
   *
   * @param keys service principal → scopes
   */
  public Future<Void> warmUp(Map<String, ? extends Collection<String>> keys) {
    List<Future<AccessToken>> tokens = keys.entrySet().stream()
        .flatMap(entry -> entry.getValue().stream().map(scope -> new Key(entry.getKey(), scope)))
        .peek(watched::add)
        .map(key -> token(key.servicePrincipal(), key.scope()))
        .toList();
    return Future.join(tokens).transform(done -> Future.succeededFuture());
  }

  /**
   * The watched (service principal, scope) keys that have no token now because the last request failed, with the
   * reason; empty when all can get one. For {@code /health/ready}.
   */
  public Map<String, String> unready() {
    Map<String, String> unready = new TreeMap<>();
    Instant now = clock.instant();
    for (Key key : watched) {
      BackOff backOff = backOffs.get(key);
      if (backOff == null) continue;
      CompletableFuture<Entry> cached = cache.getIfPresent(key);
      boolean usable = cached != null && cached.isDone() && !cached.isCompletedExceptionally()
          && cached.join().failure == null && now.isBefore(cached.join().usableUntil);
      if (!usable) unready.put(key.servicePrincipal() + " " + key.scope(), backOff.failure.getMessage());
    }
    return unready;
  }

  /**
   * Swaps in credentials built from a new {@code servicePrincipals} slice (a config reload). Tokens of principals
   * whose config is unchanged stay cached; the others' are dropped, with their back-offs.
   */
  public void update(Credentials next) {
    Credentials previous = credentials;
    credentials = next;
    for (Key key : Set.copyOf(cache.asMap().keySet())) {
      if (!next.sameAs(previous, key.servicePrincipal())) cache.asMap().remove(key);
    }
    backOffs.keySet().removeIf(key -> !next.sameAs(previous, key.servicePrincipal()));
    watched.removeIf(key -> next.get(key.servicePrincipal()).isEmpty());
    gaugeExpiry(next);
    registerMeters(next.names());
  }

  /** The credentials in use, e.g. for {@link Credentials#keepingUnchanged} when a reload builds new ones. */
  public Credentials credentials() {
    return credentials;
  }

  /** Completes once the latest background request (refresh ahead, or a back-off's attempt) for the key settled. */
  public Future<Void> pendingRefresh(String servicePrincipal, String scope) {
    return refreshes.getOrDefault(new Key(servicePrincipal, scope), Future.succeededFuture());
  }

  private CompletableFuture<Entry> load(Key key) {
    // A failure completes the load normally, as an entry that expires at once: Caffeine logs every exceptional
    // load as a WARNING with a stack trace, and the failure is logged once per episode already.
    return fetch(key).map(this::entryFor).otherwise(Entry::failed).toCompletionStage().toCompletableFuture();
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
        // The old token serves on; the next refresh waits out the back-off.
        BackOff backOff = backOffs.get(key);
        current.nextRefresh.set(backOff != null ? backOff.nextAttempt : clock.instant().plus(FIRST_BACK_OFF));
      }
      return Future.<Void>succeededFuture();
    }));
  }

  /** A back-off's one background attempt, once its pause is over. */
  private void attemptIfDue(Key key, BackOff backOff) {
    if (clock.instant().isBefore(backOff.nextAttempt) || !backOff.attempting.compareAndSet(false, true)) return;
    refreshes.put(key, fetch(key).transform(fetched -> {
      if (fetched.succeeded()) cache.put(key, CompletableFuture.completedFuture(entryFor(fetched.result())));
      return Future.<Void>succeededFuture();
    }));
  }

  private TokenException tooShortLived(Key key) {
    ServicePrincipalConfig principal = credentials.principal(key.servicePrincipal());
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

  /** One token request, counted, timed and settled against the key's back-off; fails with a {@link TokenException}. */
  private Future<AccessToken> fetch(Key key) {
    String name = key.servicePrincipal();
    Credentials current = credentials;
    ServicePrincipalCredential credential = current.get(name).orElseThrow();
    String clientId = current.principal(name).clientId();
    Timer.Sample sample = Timer.start(registry);
    Future<AccessToken> token;
    try {
      token = credential.token(key.scope(), settings.requestTimeout());
    } catch (RuntimeException unexpected) {
      token = Future.failedFuture(unexpected);
    }
    return token
        .recover(failure -> Future.failedFuture(failure instanceof TokenException known ? known
            : TokenException.secretUnavailable(name, clientId, String.valueOf(failure.getMessage()))))
        .andThen(result -> {
          sample.stop(durations(name));
          if (result.succeeded()) {
            count(name, "success");
            recovered(key);
            log.debug("token for service principal '{}' scope '{}' valid until {}",
                name, key.scope(), result.result().expiresAt());
          } else {
            TokenException failure = (TokenException) result.cause();
            count(name, failure.outcome());
            failed(key, failure);
          }
        });
  }

  /** Starts or extends the key's back-off; only the first failure of an episode is logged (WARN). */
  private void failed(Key key, TokenException failure) {
    Instant now = clock.instant();
    BackOff prior = backOffs.get(key);
    Duration pause = prior == null ? FIRST_BACK_OFF : min(prior.pause.multipliedBy(2), LONGEST_BACK_OFF);
    if (failure.retryAfterSeconds().isPresent()) {
      Duration asked = Duration.ofSeconds(failure.retryAfterSeconds().getAsLong());
      if (asked.compareTo(pause) > 0) pause = asked;
    }
    BackOff next = new BackOff(failure, now.plus(pause), pause, prior == null ? now : prior.since,
        prior == null ? 1 : prior.failures + 1);
    backOffs.put(key, next);
    if (prior == null) {
      log.warn("{} (scope '{}'); callers are answered from this failure and the gateway asks again after {}s, "
          + "then less and less often (at most every {}s) until it succeeds", failure.getMessage(), key.scope(),
          pause.toSeconds(), LONGEST_BACK_OFF.toSeconds());
    } else {
      log.debug("token request for '{}' scope '{}' failed again ({}), next attempt in {}s",
          key.servicePrincipal(), key.scope(), failure.outcome(), pause.toSeconds());
    }
  }

  private void recovered(Key key) {
    BackOff prior = backOffs.remove(key);
    if (prior != null) {
      log.info("service principal '{}' gets tokens for scope '{}' again, after {} failed token requests since {}",
          key.servicePrincipal(), key.scope(), prior.failures, prior.since);
    }
  }

  private void count(String servicePrincipal, String outcome) {
    requests(servicePrincipal, outcome).increment();
  }

  private Counter requests(String servicePrincipal, String outcome) {
    return Counter.builder("gateway.token.requests")
        .description("Token requests to Entra ID by outcome")
        .tag("service_principal", servicePrincipal)
        .tag("outcome", outcome)
        .register(registry);
  }

  private Timer durations(String servicePrincipal) {
    return Timer.builder("gateway.token.request.duration")
        .description("Time taken by token requests to Entra ID")
        .tag("service_principal", servicePrincipal)
        .register(registry);
  }

  private void gaugeExpiry(Credentials principals) {
    for (String name : principals.names()) {
      if (!gauged.add(name)) continue;
      Gauge.builder(EXPIRY_METER, this, service -> service.secondsUntilExpiry(name))
          .description("Seconds until the service principal's secret or certificate in use expires (Key Vault's "
              + "expires attribute); absent when it has none")
          .baseUnit("seconds")
          .tag("service_principal", name)
          .register(registry);
    }
  }

  private double secondsUntilExpiry(String servicePrincipal) {
    return credentials.get(servicePrincipal)
        .flatMap(ServicePrincipalCredential::expiresOn)
        .map(expires -> (double) Duration.between(clock.instant(), expires).toSeconds())
        .orElse(Double.NaN);
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private record Key(String servicePrincipal, String scope) {}

  /** A remembered failure: when to ask again, and whether that one attempt has started. */
  private static final class BackOff {
    final TokenException failure;
    final Instant nextAttempt;
    final Duration pause;
    final Instant since;
    final int failures;
    final AtomicBoolean attempting = new AtomicBoolean();

    BackOff(TokenException failure, Instant nextAttempt, Duration pause, Instant since, int failures) {
      this.failure = failure;
      this.nextAttempt = nextAttempt;
      this.pause = pause;
      this.since = since;
      this.failures = failures;
    }

    /** The failure as told to a caller now, with how long until the gateway asks again. */
    TokenException forCaller(Instant now) {
      long seconds = Duration.between(now, nextAttempt).toSeconds();
      return failure.inBackOff(Math.max(1, seconds + 1));
    }
  }

  /** A cached token, when it stops being handed out, and the state of its renewal. */
  private static final class Entry {
    final AccessToken token;
    final Instant usableUntil;
    /** When the next refresh may start; {@link Instant#MAX} while one is in flight. */
    final AtomicReference<Instant> nextRefresh;
    /** Set instead of a token when the load failed; such an entry expires at once. */
    final Throwable failure;

    Entry(AccessToken token, Instant usableUntil, Instant refreshAt) {
      this(token, usableUntil, refreshAt, null);
    }

    private Entry(AccessToken token, Instant usableUntil, Instant refreshAt, Throwable failure) {
      this.token = token;
      this.usableUntil = usableUntil;
      this.nextRefresh = new AtomicReference<>(refreshAt);
      this.failure = failure;
    }

    static Entry failed(Throwable failure) {
      return new Entry(null, Instant.MIN, Instant.MAX, failure);
    }
  }

  /** Expires each entry at its own {@link Entry#usableUntil}, on the cache's ticker. */
  private record UntilUnusable(Instant origin) implements Expiry<Key, Entry> {
    @Override
    public long expireAfterCreate(Key key, Entry entry, long currentTime) {
      if (entry.failure != null) return 0;
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
