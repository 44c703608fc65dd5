package dev.spgateway.config;

/** Builds the paths problems are reported at: {@code callers.invoice-flow.routes[2].as}. */
final class ConfigPaths {

  private ConfigPaths() {}

  static String field(String parent, String name) {
    return parent.isEmpty() ? name : parent + "." + name;
  }

  static String index(String parent, int index) {
    return parent + "[" + index + "]";
  }
}
