package dev.spgateway.credential;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;

/** A Key Vault certificate: each token request carries a client assertion signed with its private key. */
final class CertificateCredential extends KeyVaultCredential {

  private final Vertx vertx;
  private final TokenClient client;
  private final Clock clock;
  /** The last version parsed, so a certificate is parsed once per version, not once per token request. */
  private volatile Parsed parsed;

  private record Parsed(SecretVersion version, Future<ClientCertificate> certificate) {}

  CertificateCredential(Vertx vertx, String name, ServicePrincipalConfig principal, SecretStore secrets,
      TokenClient client, Clock clock) {
    super(name, principal, secrets, principal.certificate().keyVault());
    this.vertx = vertx;
    this.client = client;
    this.clock = clock;
  }

  @Override
  protected Future<AccessToken> request(SecretVersion version, String scope, Duration timeout) {
    return certificate(version).transform(loaded -> {
      if (loaded.failed()) {
        return Future.failedFuture(TokenException.secretUnavailable(name, principal.clientId(),
            loaded.cause().getMessage()));
      }
      String assertion = loaded.result().assertion(principal.clientId(), client.tokenEndpoint(principal), clock.instant());
      return client.requestWithAssertion(name, principal, assertion, scope, timeout);
    });
  }

  private Future<ClientCertificate> certificate(SecretVersion version) {
    Parsed last = parsed;
    if (last != null && last.version().sameAs(version)) return last.certificate();
    // Reading a PKCS#12 derives keys from its (empty) password: slow enough to keep off the event loop.
    Future<ClientCertificate> certificate =
        vertx.executeBlocking(() -> ClientCertificate.parse(version.name(), version.value()), false);
    parsed = new Parsed(version, certificate);
    return certificate;
  }
}
