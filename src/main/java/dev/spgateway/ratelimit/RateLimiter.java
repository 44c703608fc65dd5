package dev.spgateway.ratelimit;

import dev.spgateway.proxy.Upstream;
import dev.spgateway.proxy.UpstreamConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The budget stage: is there budget left for this caller, its service principal on this upstream, and
 * room among the requests in flight? And, after the upstream answered, did it ask the gateway to slow down?
 */
public final class RateLimiter {

  public static final String CALLER_RATE = "caller-rate";
  public static final String CALLER_DAY = "caller-day";
  public static final String SERVICE_PRINCIPAL_DAY = "service-principal-day";
  public static final String CONCURRENCY = "concurrency";
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RateLimiter.class);
  /** An upstream 429 without Retry-After still holds this long: never hammer. */
  static final Duration DEFAULT_HOLD = Duration.ofSeconds(1);

  private final RateLimitConfig config;
  private final BudgetStore store;
  private final ConcurrencyLimiter concurrency;
  private final RateLimitMetrics metrics;
  private final Clock clock;

  RateLimiter(RateLimitConfig config, BudgetStore store, ConcurrencyLimiter concurrency, RateLimitMetrics metrics,
      Clock clock) {
    this.config = config;
    this.store = store;
    this.concurrency = concurrency;
    this.metrics = metrics;
    this.clock = clock;
  }

  /**
   * A limiter with the store the config asks for: in memory, or Redis with the local store as its fallback. The
   * store (what budgets have been spent), the concurrency slots and the upstreams' holds outlive config reloads;
   * the limits themselves come with each request, from {@link #budgets}.
   */
  public static RateLimiter create(Vertx vertx, RateLimitConfig config, MeterRegistry registry, Clock clock) {
    RateLimitMetrics metrics = new RateLimitMetrics(registry);
    LocalBudgetStore local = new LocalBudgetStore();
    BudgetStore store = local;
    if (config.store() == RateLimitConfig.StoreKind.redis) {
      RedisBudgetStore redis = new RedisBudgetStore(vertx, config.redis());
      // Once, at start; an unreachable Redis is reported by the failover store when a decision needs it.
      redis.persistenceWarning().onSuccess(warning -> {
        if (warning != null) LOG.warn(warning);
      });
      store = new FailoverBudgetStore(redis, local, config.redis(), metrics);
    }
    RateLimitConfig.Concurrency cap = config.concurrency();
    return new RateLimiter(config, store, new ConcurrencyLimiter(vertx, cap.perServicePrincipalAndEnvironment(),
        cap.queue(), cap.queueTimeout()), metrics, clock);
  }

  /** One config's limits: each caller's own ({@code callers}) and each service principal's daily budget. */
  public static Budgets budgets(Map<String, CallerLimits> callers, Map<String, RateLimitConfig.Budget> servicePrincipals) {
    return new Budgets(callers, servicePrincipals);
  }

  /**
   * Takes {@code cost} requests ({@code $batch} parts count one each) from every budget that applies, as
   * {@code budgets} (the config the request started under) sets them.
   */
  public Future<Admission> admit(Budgets budgets, String caller, String servicePrincipal, Upstream upstream, int cost) {
    Budgets.Limits set = budgets.of(caller, servicePrincipal, upstream.name());
    return store.take(set.holdKey(), set.limits(), cost, nowMicros()).compose(verdict -> {
      String rateLimit = verdict.standings().isEmpty() ? null
          : verdict.standings().stream().map(Verdict.Standing::header).collect(Collectors.joining(", "));
      if (!verdict.allowed()) return Future.succeededFuture(refused(verdict, set, cost, rateLimit));
      if (upstream.kind() != UpstreamConfig.UpstreamKind.dataverse) {
        return Future.succeededFuture(new Admission(Admission.ALLOWED, 0, null, null, set.policy(), rateLimit, null));
      }
      return concurrency.acquire(servicePrincipal + "/" + upstream.name()).map(permit -> {
        if (permit != null) return new Admission(Admission.ALLOWED, 0, null, null, set.policy(), rateLimit, permit::release);
        metrics.refused(CONCURRENCY);
        return new Admission(CONCURRENCY, 429, "service principal '" + servicePrincipal + "' already has "
            + config.concurrency().perServicePrincipalAndEnvironment() + " requests in flight to '" + upstream.name()
            + "' (Dataverse's limit) and no slot came free within " + config.concurrency().queueTimeout().toMillis()
            + " ms; try again shortly", "1", set.policy(), rateLimit, null);
      });
    });
  }

  private Admission refused(Verdict verdict, Budgets.Limits set, int cost, String rateLimit) {
    String limit = verdict.refusedBy();
    metrics.refused(limit);
    if (limit.equals(FailoverBudgetStore.STORE_UNAVAILABLE)) {
      return new Admission(limit, 503, "the shared rate-limit store cannot be reached and the gateway is configured "
          + "not to forward uncounted requests (ratelimit.redis.onUnavailable: deny); try again shortly", "1",
          null, null, null);
    }
    String wait = verdict.retryAfterMicros() == Verdict.NEVER ? null
        : Long.toString(Math.max(1, Limit.ceilSeconds(verdict.retryAfterMicros())));
    return new Admission(limit, 429, set.explain(limit, cost, wait), wait, set.policy(), rateLimit, null);
  }

  /**
   * Reads an upstream's answer: a 429, or a 503 with Retry-After, holds every call of this service
   * principal to this upstream until then (the longest signal wins); Dataverse's service-protection
   * headers become metrics.
   */
  public void observe(String servicePrincipal, Upstream upstream, int status, MultiMap headers) {
    String retryAfter = headers.get("retry-after");
    if (status == 429 || (status == 503 && retryAfter != null)) {
      metrics.throttled(servicePrincipal, upstream.name(), status);
      long now = nowMicros();
      Duration wait = retryAfter(retryAfter, now);
      store.hold(holdKey(servicePrincipal, upstream.name()), now, now + wait.toNanos() / 1_000);
    }
    if (upstream.kind() == UpstreamConfig.UpstreamKind.dataverse) {
      dataverseGauge("gateway.dataverse.ratelimit.burst.remaining",
          "Requests left in Dataverse's 5-minute window (x-ms-ratelimit-burst-remaining-xrm-requests)",
          servicePrincipal, upstream.name(), headers.get("x-ms-ratelimit-burst-remaining-xrm-requests"));
      dataverseGauge("gateway.dataverse.ratelimit.time.remaining",
          "Execution time left in Dataverse's 5-minute window, in ms (x-ms-ratelimit-time-remaining-xrm-requests)",
          servicePrincipal, upstream.name(), headers.get("x-ms-ratelimit-time-remaining-xrm-requests"));
    }
  }

  private void dataverseGauge(String name, String description, String servicePrincipal, String environment,
      String value) {
    if (value == null) return;
    try {
      // Dataverse formats these with thousands separators: "4,999", "1,200.00".
      metrics.dataverse(name, description, servicePrincipal, environment, Double.parseDouble(value.replace(",", "")));
    } catch (NumberFormatException ignored) {
      // A value this gateway cannot read is left out, not guessed.
    }
  }

  /** Retry-After as seconds or an HTTP date; anything unreadable, or missing, holds {@link #DEFAULT_HOLD}. */
  private Duration retryAfter(String value, long nowMicros) {
    if (value == null) return DEFAULT_HOLD;
    try {
      return Duration.ofSeconds(Math.max(0, Long.parseLong(value.trim())));
    } catch (NumberFormatException notSeconds) {
      try {
        Instant until = ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        Duration left = Duration.between(Instant.EPOCH.plusNanos(nowMicros * 1_000), until);
        return left.isNegative() ? Duration.ZERO : left;
      } catch (DateTimeParseException notDate) {
        return DEFAULT_HOLD;
      }
    }
  }

  public Future<Void> close() {
    return store.close();
  }

  private long nowMicros() {
    Instant now = clock.instant();
    return now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000;
  }

  static String holdKey(String servicePrincipal, String upstream) {
    return "hold:" + servicePrincipal + ":" + upstream;
  }
}
