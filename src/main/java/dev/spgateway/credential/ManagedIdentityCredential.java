package dev.spgateway.credential;

import io.vertx.core.Future;
import java.time.Duration;
import java.util.Map;

/**
 * A user-assigned managed identity, which is itself the service principal: tokens come from the host the gateway runs
 * on, with no secret anywhere. App Service, Functions and Container Apps serve them at {@code IDENTITY_ENDPOINT} with
 * the {@code IDENTITY_HEADER} they set; VMs and AKS nodes at the instance metadata service (IMDS).
 */
final class ManagedIdentityCredential implements ServicePrincipalCredential {

  /** Azure's instance metadata service token endpoint, reachable only from inside Azure. */
  public static final String IMDS_TOKEN_URL = "http://169.254.169.254/metadata/identity/oauth2/token";

  private final String name;
  private final String clientId;
  private final TokenClient client;
  private final String endpoint;
  /** App Service's protocol when set (its X-IDENTITY-HEADER value), IMDS's when null. */
  private final String identityHeader;

  ManagedIdentityCredential(String name, ServicePrincipalConfig principal, TokenClient client) {
    this(name, principal, client, System.getenv());
  }

  ManagedIdentityCredential(String name, ServicePrincipalConfig principal, TokenClient client,
      Map<String, String> environment) {
    this.name = name;
    this.client = client;
    var identity = principal.managedIdentity();
    this.clientId = identity.clientId();
    String platformEndpoint = environment.get("IDENTITY_ENDPOINT");
    String platformHeader = environment.get("IDENTITY_HEADER");
    if (identity.endpoint() != null) {
      endpoint = identity.endpoint().toString();
      identityHeader = identity.identityHeader();
    } else if (platformEndpoint != null && !platformEndpoint.isBlank() && platformHeader != null
        && !platformHeader.isBlank()) {
      endpoint = platformEndpoint;
      identityHeader = platformHeader;
    } else {
      endpoint = IMDS_TOKEN_URL;
      identityHeader = null;
    }
  }

  @Override
  public Future<AccessToken> token(String scope, Duration timeout) {
    return client.requestFromManagedIdentity(name, clientId, endpoint, identityHeader, scope, timeout);
  }

  /** Where tokens are asked for, and with which protocol. */
  String endpoint() {
    return endpoint + (identityHeader == null ? " (instance metadata service)" : " (App Service identity endpoint)");
  }
}
