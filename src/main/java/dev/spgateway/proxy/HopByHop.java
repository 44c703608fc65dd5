package dev.spgateway.proxy;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) describe one connection, not the message: they are never passed from
 * one hop to the next, in either direction. HTTP/2 forbids them outright, so a {@code Connection: keep-alive}
 * copied from an HTTP/1.1 upstream onto an HTTP/2 response is a protocol error for the caller.
 */
public final class HopByHop {

  /**
   * Always hop-by-hop: RFC 9110's list, the older {@code Keep-Alive} and {@code Proxy-Connection}, and
   * {@code Expect}, which the gateway answers itself (after judging) and never forwards.
   */
  static final List<String> NAMES = List.of("connection", "keep-alive", "proxy-connection", "te", "trailer",
      "transfer-encoding", "upgrade", "proxy-authenticate", "proxy-authorization", "expect");

  private HopByHop() {}

  private static final HeaderNames ALWAYS = new HeaderNames(NAMES);

  /**
   * The further header names that {@code Connection} lists in {@code headers} (hop-by-hop too), or {@code null} when
   * it lists none beyond {@link #NAMES} and {@code close}, as it almost always does. {@code Content-Type} is never
   * taken for hop-by-hop: it is what a body was judged by.
   */
  static HeaderNames connectionNamed(MultiMap headers) {
    String first = headers.get(HttpHeaders.CONNECTION);
    if (first == null) return null;
    List<String> values = headers.getAll(HttpHeaders.CONNECTION);
    if (values.size() == 1 && (first.equalsIgnoreCase("keep-alive") || first.equalsIgnoreCase("close"))) return null;
    List<String> named = new ArrayList<>();
    for (String connection : values) {
      for (String token : connection.split(",")) {
        String name = token.trim().toLowerCase(Locale.ROOT);
        // Content-Type stays whatever Connection says: a body goes upstream with the type it was judged by.
        if (!name.isEmpty() && !name.equals("close") && !name.equals("content-type") && !ALWAYS.contains(name)) {
          named.add(name);
        }
      }
    }
    return named.isEmpty() ? null : new HeaderNames(named);
  }
}
