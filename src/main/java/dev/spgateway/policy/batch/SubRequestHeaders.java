package dev.spgateway.policy.batch;

import dev.spgateway.policy.MediaType;
import dev.spgateway.policy.UnjudgedHeaders;
import java.util.Locale;
import java.util.Set;

/** Rules for the headers a sub-request may carry, the same for both batch formats. */
final class SubRequestHeaders {

  /**
   * Credentials are the gateway's to add; sub-requests carrying them are refused, not cleaned, as their bytes are
   * forwarded.
   */
  private static final Set<String> CREDENTIALS = Set.of("authorization", "proxy-authorization", "cookie", "x-api-key");

  private SubRequestHeaders() {}

  /** Refuses a header the gateway must not forward inside a batch; {@code where} names the sub-request. */
  static void check(String name, String where) {
    String lower = name.toLowerCase(Locale.ROOT);
    if (CREDENTIALS.contains(lower)) {
      throw new BatchException(where + " carries a " + name + " header; the gateway adds the service principal's"
          + " token itself and does not forward credentials inside a batch");
    }
    UnjudgedHeaders.Refusal unjudged = UnjudgedHeaders.refusal(name);
    if (unjudged != null) throw new BatchException(where + ": " + unjudged.reason());
    if (lower.equals("host")) {
      throw new BatchException(where + " carries a Host header; a batch addresses only its own host");
    }
    if (lower.equals("transfer-encoding")) {
      throw new BatchException(where + " carries Transfer-Encoding; send its body as it is, with Content-Length");
    }
  }

  /** The media type of a Content-Type value, lower case, without parameters; refuses one that is malformed. */
  static String mediaType(String contentType) {
    try {
      return MediaType.parse(contentType).type();
    } catch (MediaType.Malformed e) {
      throw new BatchException(e.getMessage());
    }
  }

  /** Text quoted from a caller's batch in an error message, cut short so messages stay readable. */
  static String quote(String text) {
    String shown = text.length() > 120 ? text.substring(0, 120) + "..." : text;
    StringBuilder out = new StringBuilder("'");
    shown.chars().forEach(c -> out.append(c < 0x20 || c > 0x7e ? String.format("\\x%02x", c) : String.valueOf((char) c)));
    return out.append('\'').toString();
  }
}
