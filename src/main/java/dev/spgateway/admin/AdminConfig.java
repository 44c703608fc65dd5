package dev.spgateway.admin;

import dev.spgateway.check.Checks;
import dev.spgateway.check.Problems;

/** Where health and metrics are served: its own port, loopback unless the operator says otherwise. */
public record AdminConfig(String host, Integer port) {

  public AdminConfig {
    if (host == null) host = "127.0.0.1";
    if (port == null) port = 9090;
  }

  public static AdminConfig defaults() {
    return new AdminConfig(null, null);
  }

  public void check(String path, Problems problems) {
    Checks.port(Problems.field(path, "port"), port, problems);
  }
}
