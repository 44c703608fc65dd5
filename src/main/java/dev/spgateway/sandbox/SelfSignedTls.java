package dev.spgateway.sandbox;

import dev.spgateway.credential.PemTrust;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.PemKeyCertOptions;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throwaway RSA key and self-signed server certificate for {@code localhost} and {@code 127.0.0.1}, made at
 * run time so no key ever sits in the repository. The sandbox's HTTPS stand-ins serve it; clients trust it via
 * {@link #clientContext()} or {@link #certificatePem()}.
 */
public final class SelfSignedTls {

  // A minute in the past absorbs clock skew between whoever generates and whoever checks.
  private static final Duration BACKDATE = Duration.ofMinutes(1);
  private static final Duration VALIDITY = Duration.ofDays(3);

  private final String privateKeyPem;
  private final String certificatePem;
  private final SSLContext clientContext;

  private SelfSignedTls(String privateKeyPem, String certificatePem) {
    this.privateKeyPem = privateKeyPem;
    this.certificatePem = certificatePem;
    this.clientContext = PemTrust.sslContext(List.of(certificatePem));
  }

  /** Generates a fresh key pair and certificate (SAN {@code dns:localhost}, {@code ip:127.0.0.1}). */
  public static SelfSignedTls generate() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      KeyPair keys = generator.generateKeyPair();
      X500Name subject = new X500Name("CN=localhost, O=sp-gateway sandbox");
      Instant now = Instant.now();
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
          subject,
          new BigInteger(64, new SecureRandom()),
          Date.from(now.minus(BACKDATE)),
          Date.from(now.plus(VALIDITY)),
          subject,
          keys.getPublic());
      builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
          new GeneralName(GeneralName.dNSName, "localhost"),
          new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      builder.addExtension(Extension.keyUsage, true,
          new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
      X509Certificate certificate = new JcaX509CertificateConverter()
          .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate())));
      return new SelfSignedTls(
          pem("PRIVATE KEY", keys.getPrivate().getEncoded()), pem("CERTIFICATE", certificate.getEncoded()));
    } catch (GeneralSecurityException | OperatorCreationException | CertIOException e) {
      throw new IllegalStateException("could not generate the sandbox's self-signed certificate", e);
    }
  }

  /** The key and certificate for a Vert.x HTTPS server ({@code HttpServerOptions.setKeyCertOptions}). */
  public KeyCertOptions keyCertOptions() {
    return new PemKeyCertOptions()
        .addKeyValue(Buffer.buffer(privateKeyPem))
        .addCertValue(Buffer.buffer(certificatePem));
  }

  /** The certificate a client must trust, as PEM (e.g. written to a file the gateway's trust setting names). */
  public String certificatePem() {
    return certificatePem;
  }

  /** Key and certificate in one PEM, as a Key Vault certificate's secret holds them ({@code application/x-pem-file}). */
  public String keyAndCertificatePem() {
    return privateKeyPem + certificatePem;
  }

  /** The certificate, e.g. to upload to an app registration. */
  public X509Certificate certificate() {
    try {
      return (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
          .generateCertificate(new java.io.ByteArrayInputStream(certificatePem.getBytes(StandardCharsets.US_ASCII)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot read back the generated certificate", e);
    }
  }

  /**
   * Key and certificate as a password-less PKCS#12, base64: what a Key Vault certificate's secret holds by default
   * ({@code application/x-pkcs12}).
   */
  public String pkcs12Base64() {
    try {
      var keyFactory = java.security.KeyFactory.getInstance("RSA");
      String base64 = privateKeyPem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
      var key = keyFactory.generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
      java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("certificate", key, new char[0], new java.security.cert.Certificate[] {certificate()});
      var out = new java.io.ByteArrayOutputStream();
      store.store(out, new char[0]);
      return Base64.getEncoder().encodeToString(out.toByteArray());
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("cannot write the certificate as PKCS#12", e);
    }
  }

  /** A client {@link SSLContext} that trusts this certificate and nothing else. */
  public SSLContext clientContext() {
    return clientContext;
  }

  private static String pem(String type, byte[] der) {
    Base64.Encoder base64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
    return "-----BEGIN " + type + "-----\n" + base64.encodeToString(der) + "\n-----END " + type + "-----\n";
  }
}
