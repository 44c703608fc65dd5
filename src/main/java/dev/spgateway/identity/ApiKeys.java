package dev.spgateway.identity;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Caller keys: 256 random bits, so a plain SHA-256 is the right thing to store (a slow password hash
 * buys nothing against a key that cannot be guessed, and would cost every request).
 */
public final class ApiKeys {

  /** The header a caller presents its key in. */
  public static final String HEADER = "X-Api-Key";

  private static final String PREFIX = "spg_";
  private static final SecureRandom RANDOM = new SecureRandom();

  private ApiKeys() {}

  public static String generate() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  public static byte[] sha256(String key) {
    return SHA_256.get().digest(key.getBytes(StandardCharsets.UTF_8)); // digest() leaves it ready for the next key
  }

  /** One digest per thread: looking the algorithm up among the providers costs more than hashing a key. */
  private static final ThreadLocal<MessageDigest> SHA_256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  });

  public static String sha256Hex(String key) {
    return HexFormat.of().formatHex(sha256(key));
  }
}
