package dev.spgateway.listener;

import dev.spgateway.check.Checks;
import dev.spgateway.check.Problems;
import java.net.URI;

/**
 * Where the gateway listens for callers.
 *
 * @param publicBaseUrl the URL callers use to reach this gateway (a load balancer's, Azure Front Door's),
 *     without a trailing slash; paging links and {@code Location} headers are rewritten to point under it.
 *     Required when the listener is not on loopback; never derived from a caller's {@code Host} header,
 *     which the caller controls.
 */
public record ListenerConfig(String host, Integer port, URI publicBaseUrl) {

  public ListenerConfig {
    if (host == null) host = "0.0.0.0";
    if (port == null) port = 8080;
  }

  public static ListenerConfig defaults() {
    return new ListenerConfig(null, null, null);
  }

  public void check(String path, Problems problems) {
    Checks.port(Problems.field(path, "port"), port, problems);
    String field = Problems.field(path, "publicBaseUrl");
    if (publicBaseUrl == null) {
      if (!Checks.isLoopback(host)) {
        problems.add(field, "missing; the listener is on '" + host + "', so say which URL callers use to reach the"
            + " gateway (paging links point there), e.g. https://gateway.contoso.com");
      }
      return;
    }
    Checks.secureUrl(field, publicBaseUrl, "https://gateway.contoso.com", problems);
    if (publicBaseUrl.getRawQuery() != null || publicBaseUrl.getRawFragment() != null
        || publicBaseUrl.getRawUserInfo() != null) {
      problems.add(field, "must be scheme, host, optional port and path only (no user, query or fragment)");
    }
  }

  /**
   * The base URL links are rewritten to: {@code publicBaseUrl} without a trailing slash, or, on loopback
   * without one, {@code http://host:port} with the port actually bound.
   */
  public String effectivePublicBaseUrl(int boundPort) {
    if (publicBaseUrl == null) {
      String name = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
      return "http://" + name + ":" + boundPort;
    }
    String url = publicBaseUrl.toString();
    while (url.endsWith("/")) url = url.substring(0, url.length() - 1);
    return url;
  }
}
