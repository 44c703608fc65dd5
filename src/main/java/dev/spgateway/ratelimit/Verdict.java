package dev.spgateway.ratelimit;

import java.util.List;

/**
 * What a store answered for one request: taken from every limit, or from none.
 *
 * @param refusedBy the name of the limit that refused, or {@code null} when the request may go
 * @param retryAfterMicros when trying again can succeed; {@link #NEVER} when the request alone is
 *     larger than the limit
 * @param standings each limit's remaining budget after this decision, in the order asked
 */
public record Verdict(String refusedBy, long retryAfterMicros, List<Standing> standings) {

  public static final long NEVER = -1;

  /** The refusal for an upstream that asked the gateway to hold off. */
  public static final String UPSTREAM_HOLD = "upstream-hold";

  public boolean allowed() {
    return refusedBy == null;
  }

  /**
   * @param remaining requests left now
   * @param resetMicros until the whole budget is back (a rate) or the oldest counted request drops out (a window)
   */
  public record Standing(Limit limit, long remaining, long resetMicros) {

    /** This standing as an item of the {@code RateLimit} header. */
    String header() {
      return "\"" + limit.name() + "\";r=" + Math.max(0, remaining) + ";t=" + Limit.ceilSeconds(Math.max(0, resetMicros));
    }
  }
}
