package dev.spgateway.credential;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Collections;
import java.util.UUID;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;

/**
 * A certificate and its private key, as Key Vault keeps them in a certificate's secret (PKCS#12, base64, no
 * password; or PEM), and the client assertion signed with it: an RS256 JWT whose header names the certificate by
 * its SHA-256 thumbprint ({@code x5t#S256}), as the Microsoft identity platform's certificate credentials require.
 */
final class ClientCertificate {

  /** How long an assertion is valid: Entra accepts up to 10 minutes, and each token request makes a new one. */
  static final Duration ASSERTION_LIFETIME = Duration.ofMinutes(10);
  private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

  private final PrivateKey key;
  private final X509Certificate certificate;
  private final String thumbprint;

  private ClientCertificate(PrivateKey key, X509Certificate certificate) throws GeneralSecurityException {
    this.key = key;
    this.certificate = certificate;
    this.thumbprint = BASE64URL.encodeToString(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
  }

  /**
   * Reads a Key Vault certificate's secret value. Slow (PKCS#12 key derivation): call it on a worker.
   *
   * @throws IllegalArgumentException naming what is wrong, never quoting the value
   */
  static ClientCertificate parse(String secretName, String value) {
    try {
      return value.contains("-----BEGIN") ? pem(value) : pkcs12(Base64.getMimeDecoder().decode(value));
    } catch (GeneralSecurityException | IOException | IllegalArgumentException | ClassCastException e) {
      throw new IllegalArgumentException("secret '" + secretName + "' holds no certificate with its private key "
          + "(expected a Key Vault certificate's PKCS#12 or PEM): " + e.getClass().getSimpleName(), e);
    }
  }

  /** The base64url SHA-256 of the certificate's DER: what Entra ID matches against the app's certificates. */
  String thumbprint() {
    return thumbprint;
  }

  Instant notAfter() {
    return certificate.getNotAfter().toInstant();
  }

  /**
   * A client assertion for one token request.
   *
   * @param audience the token endpoint the assertion is sent to
   */
  String assertion(String clientId, String audience, Instant now) {
    JsonObject header = new JsonObject().put("alg", "RS256").put("typ", "JWT").put("x5t#S256", thumbprint);
    long issuedAt = now.getEpochSecond();
    JsonObject claims = new JsonObject()
        .put("aud", audience)
        .put("iss", clientId)
        .put("sub", clientId)
        .put("jti", UUID.randomUUID().toString())
        .put("nbf", issuedAt)
        .put("iat", issuedAt)
        .put("exp", issuedAt + ASSERTION_LIFETIME.toSeconds());
    String signingInput = base64url(header.encode()) + "." + base64url(claims.encode());
    try {
      Signature rsa = Signature.getInstance("SHA256withRSA");
      rsa.initSign(key);
      rsa.update(signingInput.getBytes(StandardCharsets.US_ASCII));
      return signingInput + "." + BASE64URL.encodeToString(rsa.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign a client assertion with the certificate's key: " + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return "ClientCertificate[x5t#S256=" + thumbprint + "]";
  }

  private static String base64url(String text) {
    return BASE64URL.encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  private static ClientCertificate pkcs12(byte[] der) throws GeneralSecurityException, IOException {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(new ByteArrayInputStream(der), new char[0]); // Key Vault exports it without a password
    for (String alias : Collections.list(store.aliases())) {
      if (store.isKeyEntry(alias)) {
        return new ClientCertificate((PrivateKey) store.getKey(alias, new char[0]),
            (X509Certificate) store.getCertificate(alias));
      }
    }
    throw new IllegalArgumentException("the PKCS#12 holds no private key");
  }

  private static ClientCertificate pem(String text) throws GeneralSecurityException, IOException {
    PrivateKey key = null;
    X509Certificate certificate = null;
    JcaPEMKeyConverter keys = new JcaPEMKeyConverter();
    try (PEMParser parser = new PEMParser(new StringReader(text))) {
      for (Object item = parser.readObject(); item != null; item = parser.readObject()) {
        if (item instanceof PrivateKeyInfo info && key == null) {
          key = keys.getPrivateKey(info);
        } else if (item instanceof PEMKeyPair pair && key == null) {
          key = keys.getKeyPair(pair).getPrivate();
        } else if (item instanceof X509CertificateHolder holder && certificate == null) {
          certificate = new JcaX509CertificateConverter().getCertificate(holder); // the leaf comes first
        }
      }
    }
    if (key == null || certificate == null) {
      throw new IllegalArgumentException("the PEM needs a private key and a certificate");
    }
    return new ClientCertificate(key, certificate);
  }
}
