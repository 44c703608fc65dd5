package dev.spgateway.ratelimit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/** What the budgets are doing, for Prometheus; meters are looked up once, then kept. */
final class RateLimitMetrics {

  private final MeterRegistry registry;
  private final Map<String, Counter> refused = new ConcurrentHashMap<>();
  private final Map<List<String>, Counter> throttled = new ConcurrentHashMap<>();
  /** Gauges read these; keeping them here keeps them reachable. */
  private final Map<List<String>, AtomicReference<Double>> dataverse = new ConcurrentHashMap<>();
  private final Counter storeUnavailable;
  final AtomicBoolean storeUp = new AtomicBoolean(true);

  RateLimitMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.storeUnavailable = Counter.builder("gateway.ratelimit.store.unavailable")
        .description("Decisions made while the shared budget store (Redis) could not be reached")
        .register(registry);
    Gauge.builder("gateway.ratelimit.store.up", storeUp, up -> up.get() ? 1 : 0)
        .description("1 while the budget store answers, 0 during an outage").register(registry);
    // Present at 0 from the start, so rate() and alerts see the first refusal.
    for (String limit : List.of(RateLimiter.CALLER_RATE, RateLimiter.CALLER_DAY, RateLimiter.SERVICE_PRINCIPAL_DAY,
        RateLimiter.CONCURRENCY, Verdict.UPSTREAM_HOLD, FailoverBudgetStore.STORE_UNAVAILABLE)) {
      refused(limit, 0);
    }
  }

  void refused(String limit) {
    refused(limit, 1);
  }

  private void refused(String limit, int count) {
    refused.computeIfAbsent(limit, name -> Counter.builder("gateway.ratelimit.refused")
        .description("Requests refused by the gateway's own limits, by the limit that refused")
        .tag("limit", name).register(registry)).increment(count);
  }

  void storeUnavailable() {
    storeUnavailable.increment();
  }

  /** An upstream answered 429 or 503 with Retry-After. */
  void throttled(String servicePrincipal, String upstream, int status) {
    throttled.computeIfAbsent(List.of(servicePrincipal, upstream, Integer.toString(status)),
        key -> throttledCounter(registry, key.get(0), key.get(1), key.get(2))).increment();
  }

  /** The throttling counters of one service principal on one upstream, at 0, before any answer came. */
  static void registerThrottled(MeterRegistry registry, String servicePrincipal, String upstream) {
    for (String status : List.of("429", "503")) throttledCounter(registry, servicePrincipal, upstream, status);
  }

  private static Counter throttledCounter(MeterRegistry registry, String servicePrincipal, String upstream,
      String status) {
    return Counter.builder("gateway.upstream.throttled")
        .description("Upstream answers asking the gateway to slow down (429, or 503 with Retry-After)")
        .tag("service_principal", servicePrincipal).tag("upstream", upstream).tag("status", status)
        .register(registry);
  }

  /** Dataverse's own service-protection figures, as its last answer reported them. */
  void dataverse(String name, String description, String servicePrincipal, String upstream, double value) {
    dataverse.computeIfAbsent(List.of(name, servicePrincipal, upstream), key -> {
      AtomicReference<Double> last = new AtomicReference<>(Double.NaN);
      Gauge.builder(name, last, AtomicReference::get).description(description)
          .tag("service_principal", servicePrincipal).tag("upstream", upstream).register(registry);
      return last;
    }).set(value);
  }
}
