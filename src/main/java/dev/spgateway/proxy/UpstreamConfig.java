package dev.spgateway.proxy;

import static dev.spgateway.check.Problems.field;

import dev.spgateway.check.Checks;
import dev.spgateway.check.Problems;
import java.net.URI;
import java.time.Duration;

/**
 * One API the gateway forwards to.
 *
 * @param url base URL requests are forwarded to
 * @param kind {@code graph} or {@code dataverse}
 * @param resource the token audience; defaults to the URL's origin. Set it when the URL is not the
 *     API's own (a local stand-in, a private endpoint), so tokens are still asked for the real API.
 * @param connectTimeout how long to wait for a connection before answering 502
 * @param timeout how long the upstream may stay silent before the gateway answers 504
 */
public record UpstreamConfig(
    URI url, UpstreamKind kind, String resource, Duration connectTimeout, Duration timeout) {

  public UpstreamConfig {
    if (connectTimeout == null) connectTimeout = Duration.ofSeconds(5);
    if (timeout == null) timeout = Duration.ofSeconds(100); // Graph's own gateway timeout is about 100 s.
  }

  public void check(String path, Problems problems) {
    if (url == null) {
      problems.add(field(path, "url"), "missing; e.g. https://graph.microsoft.com or https://contoso.crm.dynamics.com");
      return;
    }
    Checks.secureUrl(field(path, "url"), url, "https://graph.microsoft.com", problems);
    if (url.getRawQuery() != null || url.getRawFragment() != null) {
      problems.add(field(path, "url"), "must not have a query or fragment");
    }
    if (kind == null) problems.add(field(path, "kind"), "missing; write kind: graph or kind: dataverse");
    if (timeout.isZero() || connectTimeout.isZero()) problems.add(path, "timeouts must be longer than zero");
  }

  /** The audience tokens are requested for. */
  public String effectiveResource() {
    if (resource != null) return resource;
    int port = url.getPort();
    return url.getScheme() + "://" + url.getHost() + (port == -1 ? "" : ":" + port);
  }

  public enum UpstreamKind {
    graph,
    dataverse
  }
}
