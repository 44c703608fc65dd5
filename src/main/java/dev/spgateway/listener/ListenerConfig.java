package dev.spgateway.listener;

import dev.spgateway.check.Checks;
import dev.spgateway.check.Problems;

/** Where the gateway listens for callers. */
public record ListenerConfig(String host, Integer port) {

  public ListenerConfig {
    if (host == null) host = "0.0.0.0";
    if (port == null) port = 8080;
  }

  public static ListenerConfig defaults() {
    return new ListenerConfig(null, null);
  }

  public void check(String path, Problems problems) {
    Checks.port(Problems.field(path, "port"), port, problems);
  }
}
