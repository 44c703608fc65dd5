package dev.spgateway.ratelimit;

import static dev.spgateway.check.Problems.field;

import dev.spgateway.check.Problems;

/**
 * A caller's own budget ({@code limits:} under a caller). Each part is optional; a caller without
 * {@code limits} is held only by its service principal's budget.
 *
 * @param perSecond the sustained rate, requests per second (fractions allowed: 0.5 is one every 2 s)
 * @param burst how many may come at once after a quiet spell; defaults to one second's worth
 * @param perDay requests per rolling 24 hours
 */
public record CallerLimits(Double perSecond, Integer burst, Long perDay) {

  public void check(String path, Problems problems) {
    if (perSecond == null && perDay == null) {
      problems.add(path, "is empty; give perSecond (with an optional burst), perDay, or both");
    }
    if (perSecond != null && !(perSecond > 0)) {
      problems.add(field(path, "perSecond"), "must be more than 0 (0.5 is one request every 2 s)");
    }
    if (burst != null && perSecond == null) {
      problems.add(field(path, "burst"), "needs perSecond: a burst is how far above the sustained rate a caller may go");
    } else if (burst != null && burst < 1) {
      problems.add(field(path, "burst"), "must be at least 1");
    }
    if (perDay != null && perDay < 1) problems.add(field(path, "perDay"), "must be at least 1");
  }

  /** The burst in force: as configured, else one second's worth (at least 1). */
  public int effectiveBurst() {
    if (burst != null) return burst;
    return perSecond == null ? 0 : (int) Math.max(1, Math.ceil(perSecond));
  }
}
