package dev.spgateway.policy;

/**
 * Refuses request paths that could mean different things to the gateway and to the upstream. The path
 * that passes is forwarded byte for byte, so what was judged is what is sent. A later policy engine
 * reduces paths to one canonical form; until then anything ambiguous is simply refused.
 */
public final class RequestPaths {

  public static final int MAX_LENGTH = 2048;

  private RequestPaths() {}

  /** Why {@code path} is refused, or {@code null} when it is unambiguous. */
  public static String problem(String path) {
    if (path.length() > MAX_LENGTH) return "the path is longer than " + MAX_LENGTH + " characters";
    if (path.isEmpty() || path.charAt(0) != '/') return "the path must start with /";
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c <= 0x20 || c >= 0x7f) return "the path contains a control, space or non-ASCII character";
      if (c == '\\') return "the path contains a backslash";
      if (c == ';') return "the path contains ';' (path parameters are not accepted)";
      if (c == '%' && i + 2 < path.length()) {
        char a = path.charAt(i + 1);
        char b = Character.toLowerCase(path.charAt(i + 2));
        // %2F (/), %5C (\) and %2E (.) let one path name two resources.
        if ((a == '2' && (b == 'f' || b == 'e')) || (a == '5' && b == 'c')) {
          return "the path contains an encoded '/', '\\' or '.'";
        }
        if (a == '2' && b == '5') return "the path contains a double-encoded character";
      }
    }
    int start = 1;
    while (start <= path.length()) {
      int end = path.indexOf('/', start);
      if (end < 0) end = path.length();
      String segment = path.substring(start, end);
      if (segment.isEmpty()) return "the path contains an empty segment (//, or a trailing /)";
      if (segment.equals(".") || segment.equals("..")) return "the path contains a dot segment";
      start = end + 1;
    }
    return null;
  }

  /** Why {@code query} is refused, or {@code null}. */
  public static String queryProblem(String query) {
    for (int i = 0; i < query.length(); i++) {
      char c = query.charAt(i);
      if (c <= 0x20 || c >= 0x7f || c == '#') return "the query contains a control, space, '#' or non-ASCII character";
    }
    return query.length() > MAX_LENGTH ? "the query is longer than " + MAX_LENGTH + " characters" : null;
  }
}
