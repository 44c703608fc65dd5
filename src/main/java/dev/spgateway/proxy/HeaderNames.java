package dev.spgateway.proxy;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** A fixed set of header names, looked up ignoring case without allocating (a header is checked for each one sent). */
final class HeaderNames {

  /** The names by length: a lookup compares only names as long as the one asked about. */
  private final String[][] byLength;

  HeaderNames(Collection<String> names) {
    int longest = names.stream().mapToInt(String::length).max().orElse(0);
    List<List<String>> buckets = new ArrayList<>();
    for (int i = 0; i <= longest; i++) buckets.add(new ArrayList<>());
    names.forEach(name -> buckets.get(name.length()).add(name));
    byLength = buckets.stream().map(bucket -> bucket.toArray(String[]::new)).toArray(String[][]::new);
  }

  boolean contains(String name) {
    if (name.length() >= byLength.length) return false;
    for (String known : byLength[name.length()]) {
      if (known.equalsIgnoreCase(name)) return true;
    }
    return false;
  }
}
