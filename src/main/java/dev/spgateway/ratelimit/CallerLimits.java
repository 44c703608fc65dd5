package dev.spgateway.ratelimit;

/**
 * A caller's own budget ({@code limits:} under a caller). Each part is optional; a caller without
 * {@code limits} is held only by its service principal's budget.
 *
 * @param perSecond the sustained rate, requests per second (fractions allowed: 0.5 is one every 2 s)
 * @param burst how many may come at once after a quiet spell; defaults to one second's worth
 * @param perDay requests per rolling 24 hours
 */
public record CallerLimits(Double perSecond, Integer burst, Long perDay) {

  /** The burst in force: as configured, else one second's worth (at least 1). */
  public int effectiveBurst() {
    if (burst != null) return burst;
    return perSecond == null ? 0 : (int) Math.max(1, Math.ceil(perSecond));
  }
}
