package dev.spgateway.identity;

import dev.spgateway.check.Problems;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.regex.Pattern;

/** A caller's API key as the config holds it: only the SHA-256 of the key, in hex. */
public record ApiKeyConfig(String sha256) {

  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-fA-F]{64}");

  /**
   * Keys anyone would try first (and the ones examples and tutorials use): a hash of one of them lets anyone in.
   * Hash → the key, lower-case hex.
   */
  private static final Map<String, String> WEAK = Stream.of("", "test", "test1", "test2", "testing", "password",
          "Password", "password1", "passw0rd", "secret", "changeme", "change-me", "admin", "root", "key", "apikey",
          "api-key", "api_key", "default", "example", "demo", "guest", "user", "letmein", "welcome", "qwerty",
          "123", "1234", "12345", "123456", "12345678", "123456789", "0000", "00000000", "foo", "bar", "foobar",
          "x", "a", "abc", "xxx", "dev", "sandbox")
      .collect(Collectors.toUnmodifiableMap(ApiKeys::sha256Hex, key -> key, (a, b) -> a));

  /** Reports a missing or malformed hash at {@code path} (the {@code apiKey} field); true when it is usable. */
  public static boolean check(String path, ApiKeyConfig key, Problems problems) {
    if (key == null || key.sha256() == null) {
      problems.add(path, "missing; run `sp-gateway hash-key` and paste the apiKey line it prints");
      return false;
    }
    if (!SHA256_HEX.matcher(key.sha256()).matches()) {
      problems.add(Problems.field(path, "sha256"), "is not 64 hex digits; run `sp-gateway hash-key` to make a key and its hash");
      return false;
    }
    String weak = WEAK.get(key.normalized());
    if (weak != null) {
      problems.add(Problems.field(path, "sha256"), "is the hash of a well-known weak key ("
          + (weak.isEmpty() ? "the empty key" : "'" + weak + "'") + "), which anyone could send; run `sp-gateway hash-key`"
          + " to make a key and its hash");
      return false;
    }
    return true;
  }

  /** The hash in one spelling, to compare keys. */
  public String normalized() {
    return sha256.toLowerCase(Locale.ROOT);
  }
}
