package dev.spgateway.credential;

import java.time.Instant;

/** A bearer token and the moment it stops being valid. */
public record AccessToken(String value, Instant expiresAt) {

  /** Never prints the token itself: records end up in logs and exception messages. */
  @Override
  public String toString() {
    return "AccessToken[expiresAt=" + expiresAt + "]";
  }
}
