package dev.spgateway.credential;

import java.time.Instant;
import java.util.Objects;

/**
 * One version of a Key Vault secret (a client secret, or a certificate's PKCS#12 / PEM).
 *
 * @param version Key Vault's 32-hex version id; null when the store does not know it
 * @param expiresOn the secret's {@code exp} attribute; null when it has none
 */
public record SecretVersion(String name, String value, String version, Instant expiresOn) {

  /** Same secret, same version: nothing to rotate to. */
  public boolean sameAs(SecretVersion other) {
    if (other == null) return false;
    return version != null || other.version != null ? Objects.equals(version, other.version)
        : Objects.equals(value, other.value);
  }

  /** Never prints the value: versions end up in logs. */
  @Override
  public String toString() {
    return "SecretVersion[" + name + ", version=" + version + ", expiresOn=" + expiresOn + "]";
  }
}
