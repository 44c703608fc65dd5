package dev.spgateway.proxy;

import io.vertx.core.http.RequestOptions;

/**
 * An upstream as the forwarder uses it, everything derived once at start.
 *
 * @param basePath the URL's path, prefixed to every forwarded path ("" for Graph and Dataverse)
 * @param scope what tokens are requested for: {@code https://graph.microsoft.com/.default}
 * @param requestIdHeader where the upstream reports its own request id, for the audit record
 * @param linkBases where the upstream's own absolute links start: its URL, and the API's own origin when
 *     {@code resource} names another (a stand-in or private endpoint still writes the real API's URL)
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
    long timeoutMillis,
    java.util.List<LinkBase> linkBases) {

  /**
   * A prefix of this upstream's absolute links.
   *
   * @param origin {@code scheme://host[:port]} in lower case, without a default port
   * @param path the path a link must start with, taken off when the link is rewritten ("" for none)
   */
  public record LinkBase(String origin, String path) {}

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
        requestIdHeader, config.connectTimeout().toMillis(), config.timeout().toMillis(), linkBases(url, path, config));
  }

  private static java.util.List<LinkBase> linkBases(java.net.URI url, String path, UpstreamConfig config) {
    LinkBase own = new LinkBase(Links.origin(url.getScheme(), url.getRawAuthority()), path);
    java.net.URI resource = java.net.URI.create(config.effectiveResource());
    if (resource.getScheme() == null || resource.getRawAuthority() == null) return java.util.List.of(own);
    LinkBase api = new LinkBase(Links.origin(resource.getScheme(), resource.getRawAuthority()), "");
    return api.origin().equals(own.origin()) ? java.util.List.of(own) : java.util.List.of(own, api);
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
