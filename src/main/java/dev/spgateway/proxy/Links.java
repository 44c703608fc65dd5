package dev.spgateway.proxy;

import java.util.List;
import java.util.Locale;

/**
 * Turns an upstream's own absolute links into the gateway's: {@code https://graph.microsoft.com/v1.0/users?$skiptoken=X}
 * becomes {@code {publicBaseUrl}/graph/v1.0/users?$skiptoken=X}. Only the origin (and the upstream URL's
 * path) is replaced; the rest of the link, query and escapes included, is kept byte for byte. A link to
 * any other origin, a relative link, or one with user info is left alone.
 */
public final class Links {

  private volatile String publicBaseUrl;

  /** @param publicBaseUrl what callers use to reach the gateway, no trailing slash; {@code null} until known */
  public Links(String publicBaseUrl) {
    this.publicBaseUrl = publicBaseUrl;
  }

  /** Sets the base once the listener knows its port (a loopback listener without a configured URL). */
  public void publicBaseUrl(String url) {
    this.publicBaseUrl = url;
  }

  public String publicBaseUrl() {
    return publicBaseUrl;
  }

  /** {@code link} at the gateway, or {@code null} when it is not one of {@code upstream}'s own links. */
  public String rewrite(Upstream upstream, String link) {
    int scheme = link.indexOf("://");
    if (scheme <= 0 || scheme > 5) return null;
    int authorityEnd = scheme + 3;
    while (authorityEnd < link.length() && "/?#".indexOf(link.charAt(authorityEnd)) < 0) authorityEnd++;
    String authority = link.substring(scheme + 3, authorityEnd);
    if (authority.isEmpty() || authority.indexOf('@') >= 0) return null;
    String origin = origin(link.substring(0, scheme), authority);
    String rest = link.substring(authorityEnd);
    for (Upstream.LinkBase base : upstream.linkBases()) {
      if (!base.origin().equals(origin) || !rest.startsWith(base.path())) continue;
      String tail = rest.substring(base.path().length());
      if (!tail.startsWith("/")) continue; // the gateway's URLs are /{upstream}/{path}
      String gateway = publicBaseUrl;
      return gateway == null ? null : gateway + "/" + upstream.name() + tail;
    }
    return null;
  }

  /** {@code scheme://host[:port]} in lower case, without the scheme's default port. */
  static String origin(String scheme, String authority) {
    String s = scheme.toLowerCase(Locale.ROOT);
    String a = authority.toLowerCase(Locale.ROOT);
    if (s.equals("https") && a.endsWith(":443")) a = a.substring(0, a.length() - 4);
    if (s.equals("http") && a.endsWith(":80")) a = a.substring(0, a.length() - 3);
    return s + "://" + a;
  }

  /** Headers whose value is a URL of the upstream's: after a create, a long-running operation's status. */
  static final List<String> LINK_HEADERS = List.of("location", "content-location", "odata-entityid");
}
