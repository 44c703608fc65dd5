package dev.spgateway.proxy;

import io.vertx.core.MultiMap;
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

  /** Removes every hop-by-hop header from {@code headers}, including those that {@code Connection} names. */
  public static void strip(MultiMap headers) {
    for (String connection : headers.getAll("connection")) {
      for (String name : connection.split(",")) {
        String trimmed = name.trim().toLowerCase(Locale.ROOT);
        if (!trimmed.isEmpty()) headers.remove(trimmed);
      }
    }
    NAMES.forEach(headers::remove);
  }
}
