package dev.spgateway.credential;

/**
 * Where a service principal's client secret is kept.
 *
 * @param keyVault the name of the Key Vault secret that holds the client secret
 */
public record SecretReference(String keyVault) {}
