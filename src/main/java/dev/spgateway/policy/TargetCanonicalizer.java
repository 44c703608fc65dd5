package dev.spgateway.policy;

import dev.spgateway.policy.CanonicalTarget.QueryOption;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reduces a raw request target ({@code /path?query}, as received) to one canonical form, or refuses it.
 *
 * <p>The gateway and the upstream must read a path the same way, or a caller can be judged on one
 * path and served another (Envoy's CVE-2019-9901 and CVE-2021-29492: {@code ..} and {@code %2F} that
 * the proxy did not normalise but the backend did). So nothing that two servers could read differently
 * is accepted: dot segments raw or encoded (once or twice), encoded {@code / \ .}, encoded delimiters,
 * {@code ;} path parameters, empty segments, a trailing {@code .} (dropped by IIS-style normalisers),
 * fragments, control, space and raw non-ASCII bytes, invalid or overlong UTF-8, non-ASCII look-alikes
 * of ASCII characters. What remains is normalised as RFC 3986 §6.2.2 says: encoded unreserved
 * characters are decoded, other escapes use upper-case hex. The one encoded delimiter decoded rather
 * than refused is {@code %40} ({@code @}): UPNs in paths arrive encoded, and Graph reads both alike.
 */
final class TargetCanonicalizer {

  static final int MAX_PATH = 2048;
  /** Below Vert.x's 4,096-character request line, so the refusal is the gateway's own, with a reason. */
  static final int MAX_QUERY = 3072;
  static final int MAX_SEGMENTS = 64;

  /** The OData system query options the gateway forwards; any other query parameter is refused. */
  static final Set<String> OPTIONS =
      Set.of("$select", "$filter", "$orderby", "$top", "$skip", "$skiptoken", "$search", "$count", "$apply", "$expand");

  private static final String HEX = "0123456789ABCDEF";
  /** RFC 3986 reserved characters: escaped, they could mean something else to the upstream than raw. */
  private static final String DELIMITERS = ":/?#[]@!$&'()*+,;=";
  /** Allowed raw in a path segment: RFC 3986 pchar, without ';'. */
  private static final String PATH_SPECIALS = "-._~!$&'()*+,=:@";
  /**
   * Allowed raw in a query: pchar, '/', '?' and the brackets OData parameter values use. A ';' only inside
   * parentheses, where OData separates nested options with it ({@code $expand=manager($select=id;$top=1)}).
   */
  private static final String QUERY_SPECIALS = "-._~!$&'()*+,;=:@/?[]";
  private static final boolean[] PATH_CHARS = table(PATH_SPECIALS);
  private static final boolean[] QUERY_CHARS = table(QUERY_SPECIALS);

  private TargetCanonicalizer() {}

  /**
   * Refuses a raw ';' outside parentheses: some back ends and front ends split queries on ';' as on '&', so
   * {@code $select=id;$expand=memberOf} would become an option that was never judged.
   */
  private static void topLevelSemicolon(String query) {
    int depth = 0;
    for (int i = 0; i < query.length(); i++) {
      char c = query.charAt(i);
      if (c == '(') depth++;
      else if (c == ')') depth = Math.max(0, depth - 1);
      else if (c == '&') depth = 0;
      else if (c == ';' && depth == 0) {
        throw new BadTarget("the query contains a raw ';' outside parentheses, which some servers read as '&';"
            + " write it as %3B inside a value");
      }
    }
  }

  static CanonicalTarget canonicalize(String target) {
    if (target.indexOf('#') >= 0) throw new BadTarget("the target contains a fragment ('#'); fragments are never sent to a server");
    int question = target.indexOf('?');
    String path = question < 0 ? target : target.substring(0, question);
    String query = question < 0 ? "" : target.substring(question + 1);
    if (path.length() > MAX_PATH) throw new BadTarget("the path is longer than " + MAX_PATH + " characters");
    if (query.length() > MAX_QUERY) throw new BadTarget("the query is longer than " + MAX_QUERY + " characters");
    if (!path.startsWith("/")) throw new BadTarget("the path must start with /");
    if (query.indexOf(';') >= 0) topLevelSemicolon(query);
    String[] segments = segments(path);
    List<QueryOption> options = options(query);
    // Without escapes nothing was normalised (anything else not plain was refused): the text is canonical as is.
    String canonicalPath = path.indexOf('%') < 0 ? path : "/" + String.join("/", segments);
    String canonicalQuery = query.indexOf('%') < 0 ? query : CanonicalTarget.query(options);
    return new CanonicalTarget(canonicalPath, segments, options, canonicalQuery);
  }

  private static String[] segments(String path) {
    List<String> segments = new ArrayList<>();
    int start = 1;
    while (true) {
      int end = path.indexOf('/', start);
      if (end < 0) end = path.length();
      segments.add(segment(path, start, end));
      if (segments.size() > MAX_SEGMENTS) throw new BadTarget("the path has more than " + MAX_SEGMENTS + " segments");
      if (end == path.length()) break;
      start = end + 1;
    }
    return segments.toArray(String[]::new);
  }

  private static String segment(String path, int start, int end) {
    if (start == end) throw new BadTarget("the path contains an empty segment ('//', or a trailing '/')");
    int plain = plainUntil(path, start, end, PATH_CHARS);
    if (plain == end) return checkedSegment(path.substring(start, end)); // nothing to normalise: the common case
    StringBuilder canonical = new StringBuilder(end - start);
    for (int i = start; i < end; i++) {
      char c = path.charAt(i);
      if (c == '%') {
        int b = escapedByte(path, i, end);
        i += 2;
        char decoded = (char) b;
        if (b == '/' || b == '\\') throw new BadTarget("the path contains an encoded '" + decoded + "' (%" + hex(b) + ")");
        if (b == '.') throw new BadTarget("the path contains an encoded '.' (%2E)");
        if (b == '%') throw new BadTarget("the path contains an encoded '%' (%25): double encoding is refused");
        if (b < 0x20 || b == 0x7f) throw new BadTarget("the path contains an encoded control character (%" + hex(b) + ")");
        if (b == '@') {
          canonical.append('@'); // UPNs arrive encoded (encodeURIComponent); '@' means nothing else in a path here
        } else if (DELIMITERS.indexOf(b) >= 0) {
          throw new BadTarget("the path contains an encoded delimiter '" + decoded + "' (%" + hex(b) + "); send it unencoded");
        } else if (b < 0x80 && isUnreserved(decoded)) {
          canonical.append(decoded);
        } else {
          canonical.append('%').append(hex(b));
        }
      } else if (c == ';') {
        throw new BadTarget("the path contains ';' (path parameters are refused)");
      } else if (c == '\\') {
        throw new BadTarget("the path contains a backslash");
      } else if (c <= 0x20 || c >= 0x7f) {
        throw new BadTarget("the path contains a control, space or non-ASCII character; percent-encode it as UTF-8");
      } else if (c < 0x80 && PATH_CHARS[c]) {
        canonical.append(c);
      } else {
        throw new BadTarget("the path contains '" + c + "'; percent-encode it");
      }
    }
    return checkedSegment(canonical.toString());
  }

  private static String checkedSegment(String segment) {
    if (segment.equals(".") || segment.equals("..")) throw new BadTarget("the path contains a dot segment ('" + segment + "')");
    if (segment.endsWith(".")) throw new BadTarget("a path segment ends with '.', which some servers drop");
    if (segment.indexOf('%') >= 0) checkDecodedText(decode(segment), "the path");
    return segment;
  }

  private static List<QueryOption> options(String query) {
    if (query.isEmpty()) return List.of();
    List<QueryOption> options = new ArrayList<>();
    int start = 0;
    while (start <= query.length()) {
      int end = query.indexOf('&', start);
      if (end < 0) end = query.length();
      QueryOption option = option(query, start, end);
      for (QueryOption earlier : options) {
        if (earlier.name().equals(option.name())) {
          throw new BadTarget("the query option '" + option.name() + "' is given twice; give it once");
        }
      }
      options.add(option);
      start = end + 1;
    }
    return List.copyOf(options);
  }

  private static QueryOption option(String query, int start, int end) {
    if (start == end) throw new BadTarget("the query contains an empty parameter ('&&', or a trailing '&')");
    int equals = query.indexOf('=', start);
    if (equals < 0 || equals > end) throw new BadTarget("the query parameter '" + query.substring(start, end) + "' has no '='");
    String name = query.substring(start, equals);
    if (!OPTIONS.contains(name)) throw new BadTarget(unknownOption(name));
    if (equals + 1 == end) throw new BadTarget("the query option '" + name + "' has no value");
    if (plainUntil(query, equals + 1, end, QUERY_CHARS) == end) {
      String value = query.substring(equals + 1, end); // no escapes: forwarded and read as is
      return new QueryOption(name, value, value);
    }
    StringBuilder value = new StringBuilder(end - equals);
    for (int i = equals + 1; i < end; i++) {
      char c = query.charAt(i);
      if (c == '%') {
        int b = escapedByte(query, i, end);
        i += 2;
        value.append('%').append(hex(b));
      } else if (c <= 0x20 || c >= 0x7f) {
        throw new BadTarget("the query contains a control, space or non-ASCII character; percent-encode it as UTF-8");
      } else if (c < 0x80 && QUERY_CHARS[c]) {
        value.append(c);
      } else {
        throw new BadTarget("the query contains '" + c + "'; percent-encode it");
      }
    }
    String decoded = decode(value.toString());
    checkDecodedText(decoded, "the query option '" + name + "'");
    return new QueryOption(name, value.toString(), decoded);
  }

  /** Where the first character that is not plain ({@code allowed}, no escape) is, or {@code end}. */
  private static int plainUntil(String text, int start, int end, boolean[] allowed) {
    int i = start;
    while (i < end) {
      char c = text.charAt(i);
      if (c >= 0x80 || !allowed[c]) break;
      i++;
    }
    return i;
  }

  /** Unreserved characters plus {@code specials}, as a lookup table over ASCII. */
  private static boolean[] table(String specials) {
    boolean[] table = new boolean[0x80];
    for (char c = 0; c < 0x80; c++) table[c] = isUnreserved(c) || specials.indexOf(c) >= 0;
    return table;
  }

  private static String unknownOption(String name) {
    if (name.indexOf('%') >= 0) return "the query parameter name '" + name + "' is percent-encoded; write it plainly";
    String lower = name.toLowerCase(Locale.ROOT);
    if (OPTIONS.contains(lower)) return "write the query option '" + name + "' as '" + lower + "'";
    if (OPTIONS.contains("$" + lower)) {
      return "'" + name + "' is read as '$" + lower + "' by OData services that make '$' optional; write '$" + lower + "'";
    }
    return "unknown query parameter '" + name + "'; only the OData options " + String.join(", ", OPTIONS.stream().sorted().toList())
        + " are forwarded";
  }

  private static int escapedByte(String text, int percent, int end) {
    if (percent + 2 >= end) {
      throw new BadTarget("malformed percent-encoding: '%' must be followed by two hex digits");
    }
    int high = Character.digit(text.charAt(percent + 1), 16);
    int low = Character.digit(text.charAt(percent + 2), 16);
    if (high < 0 || low < 0) throw new BadTarget("malformed percent-encoding: '%' must be followed by two hex digits");
    return high * 16 + low;
  }

  /** Percent-decodes once, as Graph and Dataverse do; the escapes are already known to be well formed. */
  static String decode(String canonical) {
    if (canonical.indexOf('%') < 0) return canonical;
    ByteBuffer bytes = ByteBuffer.allocate(canonical.length());
    for (int i = 0; i < canonical.length(); i++) {
      char c = canonical.charAt(i);
      if (c == '%') {
        bytes.put((byte) Integer.parseInt(canonical, i + 1, i + 3, 16));
        i += 2;
      } else {
        bytes.put((byte) c);
      }
    }
    bytes.flip();
    if (isAscii(bytes)) return new String(bytes.array(), 0, bytes.limit(), StandardCharsets.US_ASCII);
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes).toString();
    } catch (CharacterCodingException e) {
      throw new BadTarget("percent-encoded bytes that are not valid UTF-8 (overlong forms included)");
    }
  }

  private static boolean isAscii(ByteBuffer bytes) {
    for (int i = 0; i < bytes.limit(); i++) {
      if (bytes.get(i) < 0) return false;
    }
    return true;
  }

  /** Refuses decoded text holding controls, or non-ASCII characters a normaliser could turn into ASCII ones. */
  private static void checkDecodedText(String decoded, String where) {
    for (int i = 0; i < decoded.length(); ) {
      int codePoint = decoded.codePointAt(i);
      i += Character.charCount(codePoint);
      if (Character.isISOControl(codePoint)) throw new BadTarget(where + " contains an encoded control character");
      if (codePoint >= 0x80) {
        String compatible = Normalizer.normalize(new String(Character.toChars(codePoint)), Normalizer.Form.NFKC);
        for (int j = 0; j < compatible.length(); j++) {
          if (compatible.charAt(j) < 0x80) {
            throw new BadTarget(where + " contains '" + new String(Character.toChars(codePoint))
                + "', a look-alike of the ASCII '" + compatible + "'");
          }
        }
      }
    }
  }

  static boolean isUnreserved(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
        || c == '~';
  }

  private static String hex(int b) {
    return "" + HEX.charAt(b >> 4) + HEX.charAt(b & 0xf);
  }
}
