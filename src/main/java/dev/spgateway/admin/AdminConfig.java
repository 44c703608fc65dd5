package dev.spgateway.admin;

/** Where health and metrics are served: its own port, loopback unless the operator says otherwise. */
public record AdminConfig(String host, Integer port) {

  public AdminConfig {
    if (host == null) host = "127.0.0.1";
    if (port == null) port = 9090;
  }

  public static AdminConfig defaults() {
    return new AdminConfig(null, null);
  }
}
