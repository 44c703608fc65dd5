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
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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
  /** An upstream 429 without Retry-After still holds this long: never hammer. */
  static final Duration DEFAULT_HOLD = Duration.ofSeconds(1);

  private final Map<String, CallerLimits> callers;
  private final RateLimitConfig config;
  private final BudgetStore store;
  private final ConcurrencyLimiter concurrency;
  private final RateLimitMetrics metrics;
  private final Clock clock;
  /** The limits of each caller, service principal and upstream, built once. */
  private final Map<List<String>, Limits> limits = new ConcurrentHashMap<>();

  RateLimiter(Map<String, CallerLimits> callers, RateLimitConfig config, BudgetStore store,
      ConcurrencyLimiter concurrency, RateLimitMetrics metrics, Clock clock) {
    this.callers = Map.copyOf(callers);
    this.config = config;
    this.store = store;
    this.concurrency = concurrency;
    this.metrics = metrics;
    this.clock = clock;
  }

  /** A limiter with the store the config asks for: in memory, or Redis with the local store as its fallback. */
  public static RateLimiter create(Vertx vertx, RateLimitConfig config, Map<String, CallerLimits> callers,
      MeterRegistry registry, Clock clock) {
    RateLimitMetrics metrics = new RateLimitMetrics(registry);
    LocalBudgetStore local = new LocalBudgetStore();
    BudgetStore store = config.store() == RateLimitConfig.StoreKind.redis
        ? new FailoverBudgetStore(new RedisBudgetStore(vertx, config.redis()), local, config.redis().onUnavailable(),
            metrics)
        : local;
    RateLimitConfig.Concurrency cap = config.concurrency();
    return new RateLimiter(callers, config, store, new ConcurrencyLimiter(vertx, cap.perServicePrincipalAndEnvironment(),
        cap.queue(), cap.queueTimeout()), metrics, clock);
  }

  /** Takes {@code cost} requests ({@code $batch} parts count one each) from every budget that applies. */
  public Future<Admission> admit(String caller, String servicePrincipal, Upstream upstream, int cost) {
    Limits set = limits.computeIfAbsent(List.of(caller, servicePrincipal, upstream.name()),
        key -> limitsOf(caller, servicePrincipal, upstream.name()));
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

  private Admission refused(Verdict verdict, Limits set, int cost, String rateLimit) {
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
          servicePrincipal, upstream.name(), headers.get("x-ms-ratelimit-burst-remaining-xrm-requests"), 1);
      dataverseGauge("gateway.dataverse.ratelimit.time.remaining.seconds",
          "Execution time left in Dataverse's 5-minute window (x-ms-ratelimit-time-remaining-xrm-requests, in ms)",
          servicePrincipal, upstream.name(), headers.get("x-ms-ratelimit-time-remaining-xrm-requests"), 1_000);
    }
  }

  /** Registers the throttling counters of these service principal and upstream pairs at 0. */
  public static void registerMeters(MeterRegistry registry, Collection<List<String>> servicePrincipalAndUpstream) {
    servicePrincipalAndUpstream.forEach(pair -> RateLimitMetrics.registerThrottled(registry, pair.get(0), pair.get(1)));
  }

  private void dataverseGauge(String name, String description, String servicePrincipal, String environment,
      String value, double divisor) {
    if (value == null) return;
    try {
      // Dataverse formats these with thousands separators: "4,999", "1,200.00".
      metrics.dataverse(name, description, servicePrincipal, environment,
          Double.parseDouble(value.replace(",", "")) / divisor);
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

  private static String holdKey(String servicePrincipal, String upstream) {
    return "hold:" + servicePrincipal + ":" + upstream;
  }

  private Limits limitsOf(String caller, String servicePrincipal, String upstream) {
    List<Limit> list = new ArrayList<>(3);
    CallerLimits own = callers.get(caller);
    if (own != null && own.perSecond() != null) {
      list.add(Limit.Rate.perSecond(CALLER_RATE, "rate:" + caller, own.perSecond(), own.effectiveBurst()));
    }
    if (own != null && own.perDay() != null) {
      list.add(new Limit.Quota(CALLER_DAY, "day:" + caller, own.perDay(), Limit.Quota.DAY_MICROS));
    }
    RateLimitConfig.Budget budget = config.servicePrincipals().get(servicePrincipal);
    if (budget != null && budget.perDay() != null) {
      list.add(new Limit.Quota(SERVICE_PRINCIPAL_DAY, "day:" + servicePrincipal + ":" + upstream, budget.perDay(),
          Limit.Quota.DAY_MICROS));
    }
    String policy = list.isEmpty() ? null : list.stream().map(Limit::policy).collect(Collectors.joining(", "));
    return new Limits(caller, servicePrincipal, upstream, holdKey(servicePrincipal, upstream), List.copyOf(list), policy);
  }

  /** The limits one caller meets through one service principal on one upstream. */
  private record Limits(String caller, String servicePrincipal, String upstream, String holdKey, List<Limit> limits,
      String policy) {

    /** Tells the caller which limit it ran into, in words it can act on. */
    String explain(String limit, int cost, String wait) {
      String when = wait == null ? "" : "; try again in " + wait + " s";
      if (wait == null) {
        long capacity = limits.stream().filter(l -> l.name().equals(limit)).mapToLong(Limit::capacity).findFirst().orElse(0);
        return "this request counts " + cost + " (a $batch counts each part), more than the whole " + limit
            + " budget of " + capacity + "; split it";
      }
      return switch (limit) {
        case CALLER_RATE -> "caller '" + caller + "' is sending faster than its limits.perSecond allows" + when;
        case CALLER_DAY -> "caller '" + caller + "' has used its limits.perDay for the last 24 hours" + when;
        case SERVICE_PRINCIPAL_DAY -> "service principal '" + servicePrincipal + "' has used its daily budget on '"
            + upstream + "' (ratelimit.servicePrincipals." + servicePrincipal + ".perDay)" + when;
        case Verdict.UPSTREAM_HOLD -> "'" + upstream + "' asked the gateway to hold off calls as service principal '"
            + servicePrincipal + "' (it answered 429 or 503 with Retry-After); nothing was sent" + when;
        default -> limit + when;
      };
    }
  }
}
