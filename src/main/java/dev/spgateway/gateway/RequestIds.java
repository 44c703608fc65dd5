package dev.spgateway.gateway;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Request ids in GUID form, as Graph and Dataverse expect in {@code client-request-id}. They correlate,
 * they do not protect anything, so a fast non-cryptographic source is right (UUID.randomUUID would
 * contend on SecureRandom on every request).
 */
final class RequestIds {

  private RequestIds() {}

  static String next() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long high = (random.nextLong() & ~0xF000L) | 0x4000L; // version 4
    long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L; // IETF variant
    return new UUID(high, low).toString();
  }
}
