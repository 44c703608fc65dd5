package dev.spgateway.proxy;

import io.vertx.core.http.RequestOptions;

/**
 * An upstream as the forwarder uses it, everything derived once at start.
 *
 * @param basePath the URL's path, prefixed to every forwarded path ("" for Graph and Dataverse)
 * @param scope what tokens are requested for: {@code https://graph.microsoft.com/.default}
 * @param requestIdHeader where the upstream reports its own request id, for the audit record
 */
public record Upstream(
    String name,
    UpstreamConfig.UpstreamKind kind,
    String host,
    int port,
    boolean ssl,
    String basePath,
    String scope,
    String requestIdHeader,
    long connectTimeoutMillis,
    long timeoutMillis) {

  static Upstream of(String name, UpstreamConfig config) {
    var url = config.url();
    boolean ssl = "https".equals(url.getScheme());
    int port = url.getPort() != -1 ? url.getPort() : ssl ? 443 : 80;
    String path = url.getRawPath() == null ? "" : url.getRawPath();
    if (path.endsWith("/")) path = path.substring(0, path.length() - 1);
    String requestIdHeader = switch (config.kind()) {
      case graph -> "request-id";
      case dataverse -> "x-ms-service-request-id";
    };
    return new Upstream(name, config.kind(), url.getHost(), port, ssl, path, config.effectiveResource() + "/.default",
        requestIdHeader, config.connectTimeout().toMillis(), config.timeout().toMillis());
  }

  /** Options for one request to this upstream; method and URI are set by the proxy request. */
  RequestOptions requestOptions() {
    return new RequestOptions()
        .setHost(host)
        .setPort(port)
        .setSsl(ssl)
        .setConnectTimeout(connectTimeoutMillis)
        .setIdleTimeout(timeoutMillis);
  }
}
