package dev.spgateway.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A rule's path: segments that are literals ({@code users}), literals around one placeholder
 * ({@code {id}}, {@code accounts({id:key})}, {@code {file}:}), or, last and only where written, {@code **}
 * (one or more further segments of any kind).
 */
record PathTemplate(String text, List<Segment> segments) {

  private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z][A-Za-z0-9_]*)(?::([a-z]+))?}");
  private static final Pattern LITERAL = Pattern.compile("[A-Za-z0-9._~$@!'()*+,=:-]*");

  /** One segment of a template. {@code type} is null for a pure literal, in which case {@code suffix} is empty. */
  record Segment(String prefix, SegmentType type, String suffix) {

    static final Segment TAIL = new Segment("**", null, "");

    boolean isTail() {
      return this == TAIL;
    }

    boolean isLiteral() {
      return type == null && !isTail();
    }

    /** Does the canonical segment {@code text} match? Literal parts ignore case when {@code ignoreCase}. */
    boolean matches(String text, boolean ignoreCase) {
      if (isLiteral()) return ignoreCase ? prefix.equalsIgnoreCase(text) : prefix.equals(text);
      int end = text.length() - suffix.length();
      return end >= prefix.length()
          && text.regionMatches(ignoreCase, 0, prefix, 0, prefix.length())
          && text.regionMatches(ignoreCase, end, suffix, 0, suffix.length())
          && type.matches(text, prefix.length(), end);
    }

    /** The segment as forwarded: the template's spelling of the literal parts, the caller's of the placeholder. */
    String canonical(String text) {
      if (isTail()) return text;
      if (isLiteral()) return prefix;
      return prefix + text.substring(prefix.length(), text.length() - suffix.length()) + suffix;
    }

    @Override
    public String toString() {
      return isLiteral() || isTail() ? prefix : prefix + "{" + type + "}" + suffix;
    }
  }

  /** Parses {@code path}; the exception's message says what is wrong in words an operator can act on. */
  static PathTemplate parse(String path) {
    if (!path.startsWith("/") || path.length() == 1) {
      throw new IllegalArgumentException("the path '" + path + "' must start with / and name a resource");
    }
    String[] parts = path.substring(1).split("/", -1);
    List<Segment> segments = new ArrayList<>();
    for (int i = 0; i < parts.length; i++) {
      String part = parts[i];
      if (part.equals("**")) {
        if (i != parts.length - 1) throw new IllegalArgumentException("'**' may only end a path: '" + path + "'");
        if (i == 0) throw new IllegalArgumentException("'/**' would allow everything; name the resources");
        segments.add(Segment.TAIL);
      } else {
        segments.add(segment(path, part));
      }
    }
    return new PathTemplate(path, List.copyOf(segments));
  }

  private static Segment segment(String path, String part) {
    if (part.isEmpty()) throw new IllegalArgumentException("'" + path + "' contains an empty segment");
    if (part.equals(".") || part.equals("..")) throw new IllegalArgumentException("'" + path + "' contains a dot segment");
    if (part.toLowerCase(Locale.ROOT).equals("$batch")) {
      throw new IllegalArgumentException("batches are judged per sub-request; allow the sub-requests' routes instead of '"
          + path + "'");
    }
    Matcher placeholder = PLACEHOLDER.matcher(part);
    Segment segment;
    if (placeholder.find()) {
      String prefix = part.substring(0, placeholder.start());
      String suffix = part.substring(placeholder.end());
      if (suffix.contains("{")) throw new IllegalArgumentException("the segment '" + part + "' has more than one placeholder");
      segment = new Segment(prefix, type(part, placeholder.group(2)), suffix);
      literal(path, prefix + suffix);
    } else {
      literal(path, part);
      segment = new Segment(part, null, "");
    }
    return segment;
  }

  private static SegmentType type(String part, String name) {
    if (name == null) return SegmentType.name;
    try {
      return SegmentType.valueOf(name);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the placeholder type '" + name + "' in '" + part + "' is not one of: name, guid, key");
    }
  }

  private static void literal(String path, String literal) {
    if (!LITERAL.matcher(literal).matches()) {
      throw new IllegalArgumentException("'" + path + "' has a segment that is neither a literal (letters, digits, "
          + ". _ ~ $ @ ' ( ) : - and the like) nor a {placeholder}, {name:guid} or {name:key}");
    }
    if (literal.endsWith(".")) throw new IllegalArgumentException("'" + path + "' has a segment ending with '.'");
  }

  boolean endsWithTail() {
    return segments.get(segments.size() - 1).isTail();
  }

  @Override
  public String toString() {
    return text;
  }
}
