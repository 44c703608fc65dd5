package dev.spgateway.credential;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** Client TLS that trusts exactly the certificates it is given, for the gateway's outgoing calls. */
public final class PemTrust {

  private PemTrust() {}

  /**
   * An {@link SSLContext} whose only trust anchors are the given certificates (the JVM's default CAs are
   * NOT added: an operator who lists certificates means "these and nothing else").
   *
   * @param pemCertificates PEM texts; each may hold several certificates (a bundle)
   * @throws IllegalArgumentException when an entry holds no certificate or is not PEM
   */
  public static SSLContext sslContext(Collection<String> pemCertificates) {
    if (pemCertificates.isEmpty()) {
      throw new IllegalArgumentException("no certificate to trust: give at least one PEM certificate");
    }
    try {
      KeyStore anchors = KeyStore.getInstance(KeyStore.getDefaultType());
      anchors.load(null, null);
      int entry = 0;
      for (String pem : pemCertificates) {
        List<? extends Certificate> certificates = parse(pem, entry);
        for (Certificate certificate : certificates) {
          anchors.setCertificateEntry("trusted-" + anchors.size(), certificate);
        }
        entry++;
      }
      TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(anchors);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, trust.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException(
          "could not build a TLS context from the trusted certificates: " + e.getMessage(), e);
    }
  }

  private static List<? extends Certificate> parse(String pem, int entry) {
    try {
      Collection<? extends Certificate> certificates = CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
      if (certificates.isEmpty()) {
        throw new IllegalArgumentException("trusted certificate #" + (entry + 1) + " holds no PEM certificate");
      }
      return List.copyOf(certificates);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "trusted certificate #" + (entry + 1) + " is not a PEM X.509 certificate: " + e.getMessage(), e);
    }
  }
}
