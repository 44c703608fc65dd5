package dev.spgateway.policy;

/**
 * What a {@code {name:type}} placeholder matches, judged on the canonical (still percent-encoded) segment text.
 */
enum SegmentType {

  /**
   * {@code {name}}: one plain value, such as a user id, {@code alice@contoso.com}, a drive id
   * ({@code b!Xk...}) or a site id ({@code contoso.sharepoint.com,GUID,GUID}). Never a {@code $}
   * segment ({@code $ref}, {@code $count}), a function call, a key in parentheses, quotes or a colon
   * (Graph's {@code root:} addressing), so it cannot reach a different kind of resource.
   */
  name {
    @Override
    boolean matches(String text, int from, int to) {
      if (from >= to) return false;
      for (int i = from; i < to; i++) {
        char c = text.charAt(i);
        if (!(TargetCanonicalizer.isUnreserved(c) || NAME_SPECIALS.indexOf(c) >= 0)) return false;
      }
      return true;
    }
  },

  /** {@code {id:guid}}: a GUID, {@code 00000000-0000-0000-0000-000000000000}. */
  guid {
    @Override
    boolean matches(String text, int from, int to) {
      if (to - from != 36) return false;
      for (int i = 0; i < 36; i++) {
        char c = text.charAt(from + i);
        boolean dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-' : Character.digit(c, 16) < 0) return false;
      }
      return true;
    }
  },

  /**
   * {@code {id:key}}: a Dataverse key, the text between the parentheses of {@code accounts(...)}: a
   * GUID, or alternate key pairs {@code accountnumber='A1'} / {@code firstname='A',lastname='B'} whose
   * values are quoted strings ({@code ''} for a quote), numbers or GUIDs.
   */
  key {
    @Override
    boolean matches(String text, int from, int to) {
      if (guid.matches(text, from, to)) return true;
      int i = from;
      while (true) {
        int nameStart = i;
        while (i < to && (Character.isLetterOrDigit(text.charAt(i)) || text.charAt(i) == '_')) i++;
        if (i == nameStart || i >= to || text.charAt(i) != '=' || Character.isDigit(text.charAt(nameStart))) return false;
        i++;
        int valueEnd = alternateKeyValueEnd(text, i, to);
        if (valueEnd < 0) return false;
        i = valueEnd;
        if (i == to) return true;
        if (text.charAt(i) != ',') return false;
        i++;
      }
    }
  };

  /** Besides unreserved characters and escapes: what ids, UPNs, drive and site ids contain. */
  private static final String NAME_SPECIALS = "@+!,%";

  abstract boolean matches(String text, int from, int to);

  /** Where a quoted string, number or GUID starting at {@code from} ends, or -1 if there is none. */
  private static int alternateKeyValueEnd(String text, int from, int to) {
    if (from >= to) return -1;
    if (text.charAt(from) == '\'') {
      for (int i = from + 1; i < to; i++) {
        if (text.charAt(i) == '\'') {
          if (i + 1 < to && text.charAt(i + 1) == '\'') {
            i++;
          } else {
            return i + 1;
          }
        }
      }
      return -1;
    }
    int end = from;
    while (end < to && text.charAt(end) != ',') end++;
    if (guid.matches(text, from, end)) return end;
    return isNumber(text, from, end) ? end : -1;
  }

  /** {@code -?digits(.digits)?} */
  private static boolean isNumber(String text, int from, int to) {
    int i = text.charAt(from) == '-' ? from + 1 : from;
    int digits = i;
    while (i < to && Character.isDigit(text.charAt(i))) i++;
    if (i == digits) return false;
    if (i == to) return true;
    if (text.charAt(i) != '.') return false;
    int fraction = ++i;
    while (i < to && Character.isDigit(text.charAt(i))) i++;
    return i == to && i > fraction;
  }
}
