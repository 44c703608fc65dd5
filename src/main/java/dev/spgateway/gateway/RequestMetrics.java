package dev.spgateway.gateway;

import dev.spgateway.proxy.Upstream;
import dev.spgateway.ratelimit.RateLimiter;
import dev.spgateway.ratelimit.Verdict;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Requests by caller, upstream and status class; the gateway's own refusals by caller, upstream and problem type;
 * upstream latency. Every caller and upstream the config names has its meters registered at start, at 0 (so
 * rate() and alerts see the first event), and bound once: a request costs two map lookups and an increment.
 * Labels are the ones every gateway metric uses: {@code caller}, {@code upstream}, {@code service_principal};
 * {@code -} where not known (no key, or an upstream name that is not configured: no label from a caller's typo).
 */
final class RequestMetrics {

  static final String UNKNOWN = "-";
  private static final List<String> STATUS_CLASSES = List.of("2xx", "3xx", "4xx", "5xx");
  /** Refusals of an identified caller's request to a known upstream, registered up front. */
  private static final List<String> ROUTED_PROBLEMS = List.of("route-denied", "batch-denied", "bad-target",
      RateLimiter.CALLER_RATE, RateLimiter.CALLER_DAY, RateLimiter.SERVICE_PRINCIPAL_DAY, Verdict.UPSTREAM_HOLD,
      RateLimiter.CONCURRENCY, "store-unavailable", "token-request-failed", "token-endpoint-unavailable",
      "upstream-unreachable", "upstream-timeout", "connection-closed");
  /** Refusals before the caller or upstream is known. */
  private static final List<String> UNROUTED_PROBLEMS = List.of("missing-api-key", "unknown-api-key", "shutting-down",
      "no-upstream-path", "bad-target");

  private final MeterRegistry registry;
  /** caller → upstream → meters; both levels hold {@code -}. Read-mostly: lookups never allocate. */
  private final Map<String, Map<String, Meters>> meters;
  private final Map<String, Timer> upstreamLatency;
  private final Set<String> upstreams;

  RequestMetrics(MeterRegistry registry, Map<String, Set<String>> upstreamsByCaller, Set<String> upstreams) {
    this.registry = registry;
    this.upstreams = Set.copyOf(upstreams);
    Map<String, Map<String, Meters>> byCaller = new HashMap<>();
    upstreamsByCaller.forEach((caller, routed) -> {
      Map<String, Meters> byUpstream = new ConcurrentHashMap<>();
      for (String upstream : routed) byUpstream.put(upstream, new Meters(caller, upstream, true));
      byUpstream.put(UNKNOWN, new Meters(caller, UNKNOWN, false));
      byCaller.put(caller, byUpstream);
    });
    Map<String, Meters> anonymous = new ConcurrentHashMap<>();
    anonymous.put(UNKNOWN, new Meters(UNKNOWN, UNKNOWN, true));
    byCaller.put(UNKNOWN, anonymous);
    this.meters = Map.copyOf(byCaller);
    Map<String, Timer> latency = new HashMap<>();
    for (String upstream : upstreams) {
      latency.put(upstream, Timer.builder("gateway.upstream.duration")
          .description("Time from sending a request upstream to its response headers")
          .tag("upstream", upstream)
          .publishPercentileHistogram()
          .register(registry));
    }
    this.upstreamLatency = Map.copyOf(latency);
  }

  /** One answered request; {@code problem} is the gateway's own refusal type, or null when the upstream answered. */
  void request(String caller, String upstream, int status, String problem) {
    Meters meters = meters(caller, upstream);
    int statusClass = status / 100 - 2;
    meters.requests[Math.max(0, Math.min(statusClass, STATUS_CLASSES.size() - 1))].increment();
    if (problem != null) meters.refused(problem).increment();
  }

  void upstreamLatency(Upstream upstream, long nanos) {
    Timer timer = upstreamLatency.get(upstream.name());
    if (timer != null) timer.record(nanos, TimeUnit.NANOSECONDS);
  }

  private Meters meters(String caller, String upstream) {
    Map<String, Meters> byUpstream = meters.get(caller == null ? UNKNOWN : caller);
    if (byUpstream == null) byUpstream = meters.get(UNKNOWN);
    Meters found = upstream == null ? null : byUpstream.get(upstream);
    if (found != null) return found;
    // A configured upstream this caller has no route to (a refusal): registered on first use.
    String name = upstream != null && upstreams.contains(upstream) ? upstream : UNKNOWN;
    String who = caller == null || !meters.containsKey(caller) ? UNKNOWN : caller;
    return byUpstream.computeIfAbsent(name, key -> new Meters(who, key, false));
  }

  /** The meters of one caller and upstream pair. */
  private final class Meters {
    final String caller;
    final String upstream;
    final Counter[] requests = new Counter[STATUS_CLASSES.size()];
    final Map<String, Counter> refused = new ConcurrentHashMap<>();

    Meters(String caller, String upstream, boolean registerProblems) {
      this.caller = caller;
      this.upstream = upstream;
      for (int i = 0; i < requests.length; i++) {
        requests[i] = Counter.builder("gateway.requests")
            .description("Requests answered, by caller, upstream and status class")
            .tag("caller", caller).tag("upstream", upstream).tag("status_class", STATUS_CLASSES.get(i))
            .register(registry);
      }
      if (!registerProblems) return;
      List<String> problems = caller.equals(UNKNOWN) ? UNROUTED_PROBLEMS : ROUTED_PROBLEMS;
      problems.forEach(this::refused);
    }

    Counter refused(String problem) {
      Counter counter = refused.get(problem);
      return counter != null ? counter : refused.computeIfAbsent(problem, type -> Counter.builder("gateway.refused")
          .description("Requests the gateway answered itself (refused or failed), by caller, upstream and problem type")
          .tag("caller", caller).tag("upstream", upstream).tag("problem", type)
          .register(registry));
    }
  }
}
