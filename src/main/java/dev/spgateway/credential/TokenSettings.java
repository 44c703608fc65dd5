package dev.spgateway.credential;

import java.time.Duration;
import java.time.Instant;

/**
 * How tokens are fetched and renewed. A missing field (null, as Jackson binds an absent key) takes
 * its default.
 *
 * @param refreshAhead renew a token once this much of its life remains (or half its life, if that
 *     is less, so short-lived tokens are not renewed on every request)
 * @param requestTimeout give up on a token request that has not answered within this time
 */
public record TokenSettings(Duration refreshAhead, Duration requestTimeout) {

  public static final Duration DEFAULT_REFRESH_AHEAD = Duration.ofMinutes(5);
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);

  public TokenSettings {
    refreshAhead = refreshAhead == null ? DEFAULT_REFRESH_AHEAD : refreshAhead;
    requestTimeout = requestTimeout == null ? DEFAULT_REQUEST_TIMEOUT : requestTimeout;
    if (refreshAhead.isNegative()) {
      throw new IllegalArgumentException("refreshAhead must not be negative, got " + refreshAhead);
    }
    if (requestTimeout.isNegative() || requestTimeout.isZero()) {
      throw new IllegalArgumentException("requestTimeout must be positive, got " + requestTimeout);
    }
  }

  public static TokenSettings defaults() {
    return new TokenSettings(null, null);
  }

  /** The moment to start renewing a token that was received at {@code receivedAt}. */
  public Instant refreshAt(Instant receivedAt, Instant expiresAt) {
    Duration halfLife = Duration.between(receivedAt, expiresAt).dividedBy(2);
    Duration ahead = refreshAhead.compareTo(halfLife) < 0 ? refreshAhead : halfLife;
    return expiresAt.minus(ahead);
  }
}
