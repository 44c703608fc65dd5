package dev.spgateway.policy;

import java.util.List;

/**
 * A request target reduced to its one canonical form: what is judged, and exactly what is forwarded.
 *
 * @param path the path, percent-encoding normalised (see {@link TargetCanonicalizer})
 * @param segments the path's segments
 * @param options the query options in the order received
 * @param query the query as forwarded, without the {@code ?}; empty when there is none
 */
record CanonicalTarget(String path, String[] segments, List<QueryOption> options, String query) {

  /**
   * One query option.
   *
   * @param name the option's name ({@code $select}), validated to be a known OData system option
   * @param value its value as forwarded (percent-encoding normalised to upper-case hex)
   * @param decoded its value percent-decoded once, as the upstream reads it
   */
  record QueryOption(String name, String value, String decoded) {}

  /** The query option names, in order: what the audit record shows, never the values. */
  List<String> optionNames() {
    String[] names = new String[options.size()];
    for (int i = 0; i < names.length; i++) names[i] = options.get(i).name();
    return List.of(names);
  }

  /** Builds the query from options whose values were normalised. */
  static String query(List<QueryOption> options) {
    StringBuilder query = new StringBuilder();
    for (QueryOption option : options) {
      if (!query.isEmpty()) query.append('&');
      query.append(option.name()).append('=').append(option.value());
    }
    return query.toString();
  }

  QueryOption option(String name) {
    for (QueryOption option : options) {
      if (option.name().equals(name)) return option;
    }
    return null;
  }
}
