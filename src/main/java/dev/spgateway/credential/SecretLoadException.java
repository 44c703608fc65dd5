package dev.spgateway.credential;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Some secrets could not be read from Key Vault at start. The message names the vault, each secret and what to
 * do about it; it never holds a secret value or a token.
 */
public final class SecretLoadException extends RuntimeException {

  /** One secret that could not be read, and why, in words an operator can act on. */
  public record Failure(String secretName, KeyVaultSecrets.ReadOutcome outcome, String reason) {}

  private final String vaultUrl;
  private final List<Failure> failures;

  SecretLoadException(String vaultUrl, List<Failure> failures) {
    super(message(failures));
    this.vaultUrl = vaultUrl;
    this.failures = List.copyOf(failures);
  }

  public String vaultUrl() {
    return vaultUrl;
  }

  public List<Failure> failures() {
    return failures;
  }

  private static String message(List<Failure> failures) {
    if (failures.size() == 1) {
      return failures.get(0).reason();
    }
    return failures.size() + " secrets could not be read from Key Vault:"
        + failures.stream().map(failure -> "\n  - " + failure.reason()).collect(Collectors.joining());
  }
}
