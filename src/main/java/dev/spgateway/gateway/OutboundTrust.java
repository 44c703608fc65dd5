package dev.spgateway.gateway;

import dev.spgateway.config.TlsTrustConfig;
import dev.spgateway.credential.PemTrust;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.PemTrustOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;

/**
 * The certificates trusted on outgoing calls, in the two forms the gateway's clients take: Vert.x
 * options (Entra ID, upstreams) and a JDK {@link SSLContext} (the Azure SDK). Empty means the JVM's defaults.
 */
record OutboundTrust(List<String> pemCertificates) {

  /** Reads the configured PEM files; blocking, so done once at start. */
  static OutboundTrust read(TlsTrustConfig config) {
    return new OutboundTrust(config.trustPemFiles().stream().map(file -> {
      try {
        return Files.readString(Path.of(file));
      } catch (IOException e) {
        throw new UncheckedIOException("tls.trustPemFiles: cannot read " + file + ": " + e.getMessage(), e);
      }
    }).toList());
  }

  Optional<PemTrustOptions> vertxOptions() {
    if (pemCertificates.isEmpty()) return Optional.empty();
    PemTrustOptions options = new PemTrustOptions();
    pemCertificates.forEach(pem -> options.addCertValue(Buffer.buffer(pem)));
    return Optional.of(options);
  }

  Optional<SSLContext> sslContext() {
    return pemCertificates.isEmpty() ? Optional.empty() : Optional.of(PemTrust.sslContext(pemCertificates));
  }
}
