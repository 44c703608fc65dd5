package dev.spgateway.credential;

import io.vertx.core.Future;
import java.time.Duration;

/**
 * A user-assigned managed identity, which is itself the service principal: tokens come from the Azure instance
 * metadata service (IMDS) of the VM, container app or AKS node the gateway runs on, with no secret anywhere.
 */
final class ManagedIdentityCredential implements ServicePrincipalCredential {

  /** Azure's instance metadata service token endpoint, reachable only from inside Azure. */
  public static final String IMDS_TOKEN_URL = "http://169.254.169.254/metadata/identity/oauth2/token";

  private final String name;
  private final ServicePrincipalConfig principal;
  private final TokenClient client;

  ManagedIdentityCredential(String name, ServicePrincipalConfig principal, TokenClient client) {
    this.name = name;
    this.principal = principal;
    this.client = client;
  }

  @Override
  public Future<AccessToken> token(String scope, Duration timeout) {
    var identity = principal.managedIdentity();
    String endpoint = identity.endpoint() == null ? IMDS_TOKEN_URL : identity.endpoint().toString();
    return client.requestFromManagedIdentity(name, identity.clientId(), endpoint, scope, timeout);
  }
}
