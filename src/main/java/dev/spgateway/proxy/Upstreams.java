package dev.spgateway.proxy;

import java.util.HashMap;
import java.util.Map;

/** The upstreams the gateway forwards to, by the name callers use as the first path segment. */
public final class Upstreams {

  private final Map<String, Upstream> byName;

  public Upstreams(Map<String, UpstreamConfig> configs) {
    Map<String, Upstream> upstreams = new HashMap<>();
    configs.forEach((name, config) -> upstreams.put(name, Upstream.of(name, config)));
    this.byName = Map.copyOf(upstreams);
  }

  /** The upstream, or {@code null}. */
  public Upstream get(String name) {
    return byName.get(name);
  }

  public Iterable<Upstream> all() {
    return byName.values();
  }
}
