package dev.spgateway.listener;

import dev.spgateway.check.Checks;
import dev.spgateway.check.Problems;
import java.net.URI;
import java.time.Duration;

/**
 * Where and how the gateway listens for callers. A missing field takes its default.
 *
 * @param h2c whether HTTP/2 over clear text (prior knowledge, or {@code Upgrade: h2c}) is accepted. Off by default:
 *     callers (flows, scripts) speak HTTP/1.1, and a front end that passes {@code Upgrade: h2c} through would
 *     hand the caller a tunnel past its own rules ("h2c smuggling"). Turn it on only when the gateway's own front
 *     end (an ingress speaking HTTP/2 to its backends) needs it.
 * @param requestHeaderTimeout a new connection must have sent a complete request head within this (10 s); a slow
 *     sender ("slowloris") is cut off
 * @param idleTimeout a connection with no request under way is closed after this (60 s): between the requests of a
 *     kept-alive connection, the next head must be complete within it
 * @param bodyTimeout once the gateway reads a request's body, a body that brings no new byte for this long (30 s)
 *     is answered 408 and its connection closed
 * @param maxConnections open connections beyond this many (1,000) are answered 503 too-many-connections and closed
 * @param publicBaseUrl the URL callers use to reach this gateway (a load balancer's, Azure Front Door's); paging
 *     links and {@code Location} headers are rewritten to point under it. Required when the listener is not on
 *     loopback; never derived from a caller's {@code Host} header, which the caller controls.
 * @param eventLoops how many event loops serve callers: the listener is deployed once per loop, all sharing the
 *     port, and each request stays on the loop that accepted its connection. Default: the processors this process
 *     may use (so one under {@code taskset -c 0}, every core otherwise).
 */
public record ListenerConfig(String host, Integer port, Boolean h2c, Duration requestHeaderTimeout,
    Duration idleTimeout, Duration bodyTimeout, Integer maxConnections, URI publicBaseUrl, Integer eventLoops) {

  /** More loops than this is a typo, not a machine. */
  static final int MAX_EVENT_LOOPS = 256;

  public ListenerConfig {
    if (host == null) host = "0.0.0.0";
    if (port == null) port = 8080;
    if (h2c == null) h2c = false;
    if (requestHeaderTimeout == null) requestHeaderTimeout = Duration.ofSeconds(10);
    if (idleTimeout == null) idleTimeout = Duration.ofSeconds(60);
    if (bodyTimeout == null) bodyTimeout = Duration.ofSeconds(30);
    if (maxConnections == null) maxConnections = 1000;
    if (eventLoops == null) eventLoops = Runtime.getRuntime().availableProcessors();
  }

  public static ListenerConfig defaults() {
    return new ListenerConfig(null, null, null, null, null, null, null, null, null);
  }

  public void check(String path, Problems problems) {
    Checks.port(Problems.field(path, "port"), port, problems);
    Checks.positive(Problems.field(path, "requestHeaderTimeout"), requestHeaderTimeout, "e.g. 10s", problems);
    Checks.positive(Problems.field(path, "idleTimeout"), idleTimeout, "e.g. 60s", problems);
    Checks.positive(Problems.field(path, "bodyTimeout"), bodyTimeout, "e.g. 30s", problems);
    if (maxConnections < 1) problems.add(Problems.field(path, "maxConnections"), "must be 1 or more; e.g. 1000");
    if (eventLoops < 1 || eventLoops > MAX_EVENT_LOOPS) {
      problems.add(Problems.field(path, "eventLoops"), eventLoops + " event loops: use 1-" + MAX_EVENT_LOOPS
          + ", usually the number of cores (leave it out to use every core this process may use)");
    }
    String field = Problems.field(path, "publicBaseUrl");
    if (publicBaseUrl == null) {
      if (!Checks.isLoopback(host)) {
        problems.add(field, "missing; the listener is on '" + host + "', so say which URL callers use to reach the"
            + " gateway (paging links point there), e.g. https://gateway.contoso.com");
      }
    } else {
      Checks.secureUrl(field, publicBaseUrl, "https://gateway.contoso.com", problems);
      if (publicBaseUrl.getRawQuery() != null || publicBaseUrl.getRawFragment() != null
          || publicBaseUrl.getRawUserInfo() != null) {
        problems.add(field, "must be scheme, host, optional port and path only (no user, query or fragment)");
      }
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
