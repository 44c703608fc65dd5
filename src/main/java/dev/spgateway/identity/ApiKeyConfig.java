package dev.spgateway.identity;

import dev.spgateway.check.Problems;
import java.util.Locale;
import java.util.regex.Pattern;

/** A caller's API key as the config holds it: only the SHA-256 of the key, in hex. */
public record ApiKeyConfig(String sha256) {

  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-fA-F]{64}");

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
    return true;
  }

  /** The hash in one spelling, to compare keys. */
  public String normalized() {
    return sha256.toLowerCase(Locale.ROOT);
  }
}
