package dev.spgateway.credential;

import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * How one service principal gets a token from Entra ID: a client secret or a certificate from Key Vault, a
 * federated token file, or a managed identity. {@link TokenService} caches what it yields.
 */
public interface ServicePrincipalCredential {

  /** One token request for {@code scope}; fails with a {@link TokenException} only. Completes on any context. */
  Future<AccessToken> token(String scope, Duration timeout);

  /** When the secret or certificate in use stops working, when that is known. */
  default Optional<Instant> expiresOn() {
    return Optional.empty();
  }
}
