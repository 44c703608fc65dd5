package dev.spgateway.policy;

import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One allow rule, {@code "GET /v1.0/users/{id}"}: a method and a path template whose {@code {name}}
 * segments match exactly one non-empty path segment. Literal segments match exactly (case-sensitive),
 * which can only refuse more than the upstream would, never less.
 */
public record RouteRule(String id, String method, List<String> segments) {

  private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE");
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{[A-Za-z][A-Za-z0-9_]*}");
  private static final Pattern LITERAL = Pattern.compile("[A-Za-z0-9._~$@!'()*+,=:-]+");

  /** Parses a rule; the exception message says what is wrong in words an operator can act on. */
  public static RouteRule parse(String id, String rule) {
    if (rule == null) throw new IllegalArgumentException("the rule is empty; write \"GET /v1.0/users/{id}\"");
    String[] parts = rule.trim().split("\\s+");
    if (parts.length != 2) {
      throw new IllegalArgumentException("'" + rule + "' is not \"METHOD /path\"; write \"GET /v1.0/users/{id}\"");
    }
    String method = parts[0];
    if (!METHODS.contains(method)) {
      throw new IllegalArgumentException("'" + method + "' is not one of " + String.join(", ", sorted(METHODS)));
    }
    String path = parts[1];
    if (!path.startsWith("/") || path.length() == 1) {
      throw new IllegalArgumentException("the path '" + path + "' must start with / and name a resource");
    }
    List<String> segments = List.of(path.substring(1).split("/", -1));
    for (String segment : segments) {
      if (!PLACEHOLDER.matcher(segment).matches() && !LITERAL.matcher(segment).matches()) {
        throw new IllegalArgumentException("the segment '" + segment + "' of '" + path
            + "' is neither a literal (letters, digits, . _ ~ $ - and the like) nor a {placeholder}");
      }
      if (segment.equals(".") || segment.equals("..")) {
        throw new IllegalArgumentException("'" + path + "' contains a dot segment");
      }
    }
    return new RouteRule(id, method, segments);
  }

  boolean matches(String requestMethod, String[] requestSegments) {
    if (!method.equals(requestMethod) && !(method.equals("GET") && requestMethod.equals("HEAD"))) return false;
    if (requestSegments.length != segments.size()) return false;
    for (int i = 0; i < requestSegments.length; i++) {
      String segment = segments.get(i);
      boolean placeholder = segment.charAt(0) == '{';
      if (placeholder ? requestSegments[i].isEmpty() : !segment.equals(requestSegments[i])) return false;
    }
    return true;
  }

  private static List<String> sorted(Set<String> values) {
    return values.stream().sorted().toList();
  }
}
