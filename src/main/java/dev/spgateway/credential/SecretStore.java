package dev.spgateway.credential;

/** Secrets read from Key Vault once at start, then held in memory. */
public interface SecretStore {

  /** The secret's value; throws {@link IllegalStateException} naming the secret when it was never loaded. */
  String secret(String name);
}
