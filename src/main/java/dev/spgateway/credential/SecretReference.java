package dev.spgateway.credential;

/**
 * Where a service principal's client secret or certificate is kept.
 *
 * @param keyVault the name of the Key Vault secret (for a certificate: the certificate's name, whose secret holds
 *     its PKCS#12 or PEM with the private key)
 */
public record SecretReference(String keyVault) {}
