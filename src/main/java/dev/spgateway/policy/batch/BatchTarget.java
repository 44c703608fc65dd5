package dev.spgateway.policy.batch;

import dev.spgateway.proxy.UpstreamConfig.UpstreamKind;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code $batch} endpoint: the format of its body, and the path its sub-requests' relative URLs resolve
 * against. Only the exact canonical spellings are endpoints; any other path that names {@code $batch} (upper
 * case, percent-encoded, with a query, deeper in the path) is refused, so a batch can never be judged as a
 * plain request by a rule with a placeholder.
 */
record BatchTarget(Format format, String apiPath) {

  enum Format { GRAPH_JSON, DATAVERSE_MULTIPART }

  private static final Pattern GRAPH = Pattern.compile("(/v1\\.0|/beta)/\\$batch");
  private static final Pattern DATAVERSE = Pattern.compile("(/api/data/v9\\.[0-9]{1,2})/\\$batch");
  private static final int DECODING_ROUNDS = 4;

  /**
   * Whether the path of {@code target} names a batch in any spelling: a segment {@code $batch} or {@code batch},
   * in any case, percent-encoded (also twice, also IIS's {@code %u0024}).
   */
  static boolean mentionsBatch(String target) {
    int question = target.indexOf('?');
    String path = question < 0 ? target : target.substring(0, question);
    for (int round = 0; round < DECODING_ROUNDS; round++) {
      if (namesBatch(path)) return true;
      if (path.indexOf('%') < 0) return false; // every plain request ends here, after one scan
      String decoded = decodeLoosely(path);
      if (decoded.equals(path)) return false;
      path = decoded;
    }
    return true; // still decoding after four rounds: nobody writes that by accident
  }

  /** The endpoint {@code method target} names on an upstream of {@code kind}; refuses anything but the exact form. */
  static BatchTarget of(UpstreamKind kind, String method, String target) {
    boolean graph = kind == UpstreamKind.graph;
    Matcher matcher = (graph ? GRAPH : DATAVERSE).matcher(target);
    if (!matcher.matches()) {
      throw new BatchException(graph
          ? "a Graph batch is sent to exactly /v1.0/$batch or /beta/$batch (this spelling, no query, nothing after it)"
          : "a Dataverse batch is sent to exactly /api/data/v9.N/$batch (this spelling, no query, nothing after it)");
    }
    if (!method.equals("POST")) throw new BatchException("a $batch is sent with POST, not " + method);
    return new BatchTarget(graph ? Format.GRAPH_JSON : Format.DATAVERSE_MULTIPART, matcher.group(1));
  }

  /** {@code $batch} anywhere, or a whole segment {@code batch}, in any case. */
  private static boolean namesBatch(String path) {
    for (int at = 0; at + 5 <= path.length(); at++) {
      if ((path.charAt(at) | 0x20) != 'b' || !path.regionMatches(true, at, "batch", 0, 5)) continue;
      char before = at == 0 ? '/' : path.charAt(at - 1);
      boolean segmentEnds = at + 5 == path.length() || path.charAt(at + 5) == '/';
      if (before == '$' || (before == '/' && segmentEnds)) return true;
    }
    return false;
  }

  /** One round of percent-decoding that never fails: bytes it cannot read stay as they are. */
  private static String decodeLoosely(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '%' && i + 2 < text.length() && hex(text, i + 1, 2) >= 0) {
        out.append((char) hex(text, i + 1, 2));
        i += 2;
      } else if (c == '%' && i + 5 < text.length() && (text.charAt(i + 1) == 'u' || text.charAt(i + 1) == 'U')
          && hex(text, i + 2, 4) >= 0) {
        out.append((char) hex(text, i + 2, 4));
        i += 5;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static int hex(String text, int start, int digits) {
    int value = 0;
    for (int i = start; i < start + digits; i++) {
      int digit = Character.digit(text.charAt(i), 16);
      if (digit < 0) return -1;
      value = value * 16 + digit;
    }
    return value;
  }
}
