package dev.spgateway.listener;

import dev.spgateway.check.Checks;
import dev.spgateway.check.Problems;

/**
 * Where and how the gateway listens for callers.
 *
 * @param h2c whether HTTP/2 over clear text (prior knowledge, or {@code Upgrade: h2c}) is accepted. Off by default:
 *     callers (flows, scripts) speak HTTP/1.1, and a front end that passes {@code Upgrade: h2c} through would
 *     hand the caller a tunnel past its own rules ("h2c smuggling"). Turn it on only when the gateway's own front
 *     end (an ingress speaking HTTP/2 to its backends) needs it.
 */
public record ListenerConfig(String host, Integer port, Boolean h2c) {

  public ListenerConfig {
    if (host == null) host = "0.0.0.0";
    if (port == null) port = 8080;
    if (h2c == null) h2c = false;
  }

  public static ListenerConfig defaults() {
    return new ListenerConfig(null, null, null);
  }

  public void check(String path, Problems problems) {
    Checks.port(Problems.field(path, "port"), port, problems);
  }
}
