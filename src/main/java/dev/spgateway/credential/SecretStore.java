package dev.spgateway.credential;

import io.vertx.core.Future;

/** Secrets read from Key Vault, held in memory, and read again when they may have been rotated. */
public interface SecretStore {

  /** The secret's value; throws {@link IllegalStateException} naming the secret when it was never loaded. */
  String secret(String name);

  /** The version of the secret held now, with its Key Vault attributes when the store knows them. */
  default SecretVersion current(String name) {
    return new SecretVersion(name, secret(name), null, null);
  }

  /**
   * Entra ID refused the secret: read it again at once, unless it was read again for this reason less than a minute
   * ago. Completes with {@code true} when a new version was found.
   */
  default Future<Boolean> reread(String name) {
    return Future.succeededFuture(false);
  }
}
