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
  }

  void refused(String limit) {
    refused.computeIfAbsent(limit, name -> Counter.builder("gateway.ratelimit.refused")
        .description("Requests refused by the gateway's own limits, by the limit that refused")
        .tag("limit", name).register(registry)).increment();
  }

  void storeUnavailable() {
    storeUnavailable.increment();
  }

  /** An upstream answered 429 or 503 with Retry-After. */
  void throttled(String servicePrincipal, String upstream, int status) {
    throttled.computeIfAbsent(List.of(servicePrincipal, upstream, Integer.toString(status)), key ->
        Counter.builder("gateway.upstream.throttled")
            .description("Upstream answers asking the gateway to slow down (429, or 503 with Retry-After)")
            .tag("servicePrincipal", key.get(0)).tag("upstream", key.get(1)).tag("status", key.get(2))
            .register(registry)).increment();
  }

  /** Dataverse's own service-protection figures, as its last answer reported them. */
  void dataverse(String name, String description, String servicePrincipal, String environment, double value) {
    dataverse.computeIfAbsent(List.of(name, servicePrincipal, environment), key -> {
      AtomicReference<Double> last = new AtomicReference<>(Double.NaN);
      Gauge.builder(name, last, AtomicReference::get).description(description)
          .tag("servicePrincipal", servicePrincipal).tag("environment", environment).register(registry);
      return last;
    }).set(value);
  }
}
