package dev.spgateway.gateway;

import dev.spgateway.proxy.Upstream;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** Requests by caller, upstream and status, and upstream latency; meters are looked up once, then kept. */
final class RequestMetrics {

  private record Key(String caller, String upstream, int status) {}

  private final MeterRegistry registry;
  private final Map<Key, Counter> requests = new ConcurrentHashMap<>();
  private final Map<String, Timer> upstreamLatency = new ConcurrentHashMap<>();

  RequestMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  void request(String caller, String upstream, int status) {
    requests.computeIfAbsent(new Key(caller, upstream, status), key -> Counter.builder("gateway.requests")
        .description("Requests answered, by caller, upstream and status")
        .tag("caller", key.caller()).tag("upstream", key.upstream()).tag("status", Integer.toString(key.status()))
        .register(registry)).increment();
  }

  void upstreamLatency(Upstream upstream, long nanos) {
    upstreamLatency.computeIfAbsent(upstream.name(), name -> Timer.builder("gateway.upstream.duration")
        .description("Time from sending a request upstream to its response headers")
        .tag("upstream", name)
        .publishPercentileHistogram()
        .register(registry)).record(nanos, TimeUnit.NANOSECONDS);
  }
}
