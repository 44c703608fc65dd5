package dev.spgateway.check;

/**
 * Where a config check reports what is wrong: the path in the file ({@code callers.invoice-flow.routes[2].as})
 * and what to do about it. Each stage's config record checks itself against one of these; the config loader
 * collects every problem of a file before it refuses it.
 */
@FunctionalInterface
public interface Problems {

  void add(String path, String message);

  /** {@code parent.name}, or {@code name} at the top. */
  static String field(String parent, String name) {
    return parent.isEmpty() ? name : parent + "." + name;
  }

  /** {@code parent[index]}. */
  static String index(String parent, int index) {
    return parent + "[" + index + "]";
  }
}
