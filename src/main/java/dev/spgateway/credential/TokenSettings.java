package dev.spgateway.credential;

import java.time.Duration;

public record TokenSettings(Duration refreshAhead, Duration requestTimeout) {
  public static TokenSettings defaults() {
    return new TokenSettings(Duration.ofMinutes(5), Duration.ofSeconds(10));
  }
}
