package dev.spgateway.check;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.regex.Pattern;

/** Checks that several sections' records share: names, ids, ports, URLs, durations. */
public final class Checks {

  public static final Pattern GUID =
      Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

  private Checks() {}

  /** Names of callers, upstreams and service principals appear in URLs and metric labels. */
  public static void name(String path, String name, Problems problems) {
    if (!NAME.matcher(name).matches()) {
      problems.add(path, "the name '" + name + "' must be lower-case letters, digits and dashes (it appears in URLs and metrics)");
    }
  }

  public static void port(String path, int port, Problems problems) {
    if (port < 0 || port > 65535) problems.add(path, port + " is not a port; use 1-65535 (0 lets the system choose)");
  }

  public static void positive(String path, Duration duration, String hint, Problems problems) {
    if (duration.isZero() || duration.isNegative()) problems.add(path, "must be longer than zero; " + hint);
  }

  /** https://, or http:// to this machine only (local stand-ins): a token must never cross a network in clear. */
  public static void secureUrl(String path, URI url, String example, Problems problems) {
    if (url.getHost() == null || url.getScheme() == null) {
      problems.add(path, "'" + url + "' is not an absolute URL; e.g. " + example);
    } else if ("http".equals(url.getScheme())) {
      if (!isLoopback(url.getHost())) problems.add(path, "'" + url + "' uses http:// to another machine; use https://");
    } else if (!"https".equals(url.getScheme())) {
      problems.add(path, "'" + url + "' must use https://");
    }
  }

  public static boolean isLoopback(String host) {
    if (host.equals("localhost")) return true;
    // Only literal addresses: a name could resolve elsewhere.
    if (!host.matches("[0-9.]+|\\[[0-9a-fA-F:]+]")) return false;
    try {
      return InetAddress.getByName(host.replace("[", "").replace("]", "")).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
