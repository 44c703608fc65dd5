package dev.spgateway.credential;

import static dev.spgateway.check.Problems.field;

import dev.spgateway.check.Checks;
import dev.spgateway.check.Problems;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An Entra ID app registration the gateway acts as, and how it proves who it is: exactly one of
 *
 * <pre>
 * secret:          { keyVault: NAME }     # a client secret kept in Key Vault
 * certificate:     { keyVault: NAME }     # a Key Vault certificate: a signed client assertion, no shared secret
 * federated:       { tokenFile: PATH }    # workload identity federation (AKS: AZURE_FEDERATED_TOKEN_FILE)
 * managedIdentity: { clientId: GUID }     # a user-assigned managed identity is itself the service principal
 * </pre>
 *
 * @param tenant the directory (tenant) id or domain the app lives in (not needed for a managed identity)
 * @param clientId the application (client) id; for a managed identity, its client id
 */
public record ServicePrincipalConfig(String tenant, String clientId, SecretReference secret,
    SecretReference certificate, FederatedReference federated, ManagedIdentityReference managedIdentity) {

  private static final Pattern TENANT_DOMAIN = Pattern.compile("[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+");
  private static final Pattern SECRET_NAME = Pattern.compile("[0-9A-Za-z-]{1,127}");

  public ServicePrincipalConfig {
    // A managed identity is the service principal: its client id is the principal's.
    if (clientId == null && managedIdentity != null) clientId = managedIdentity.clientId();
  }

  /** A client secret in Key Vault, the form every config had before the other kinds. */
  public ServicePrincipalConfig(String tenant, String clientId, SecretReference secret) {
    this(tenant, clientId, secret, null, null, null);
  }

  /** How this principal proves who it is. */
  public enum Kind { SECRET, CERTIFICATE, FEDERATED, MANAGED_IDENTITY }

  /** Where the workload identity token is projected, re-read whenever it is needed. */
  public record FederatedReference(String tokenFile) {}

  /**
   * A user-assigned managed identity.
   *
   * @param clientId its client id
   * @param endpoint the token endpoint: absent means the one of the host the gateway runs on (App Service, Functions
   *     and Container Apps set {@code IDENTITY_ENDPOINT} and {@code IDENTITY_HEADER}; VMs and AKS nodes have the
   *     instance metadata service, {@value ManagedIdentityCredential#IMDS_TOKEN_URL})
   * @param identityHeader with {@code endpoint}: the value of App Service's {@code X-IDENTITY-HEADER}, which makes
   *     it that protocol rather than IMDS's (e.g. {@code "${IDENTITY_HEADER}"})
   */
  public record ManagedIdentityReference(String clientId, java.net.URI endpoint, String identityHeader) {}

  /** The one kind configured; call only on a checked config. */
  public Kind kind() {
    if (certificate != null) return Kind.CERTIFICATE;
    if (federated != null) return Kind.FEDERATED;
    if (managedIdentity != null) return Kind.MANAGED_IDENTITY;
    return Kind.SECRET;
  }

  /** The Key Vault secret this principal's credential is read from (the certificate's secret for a certificate). */
  public Optional<String> keyVaultSecret() {
    if (certificate != null) return Optional.ofNullable(certificate.keyVault());
    if (secret != null) return Optional.ofNullable(secret.keyVault());
    return Optional.empty();
  }

  public void check(String path, Problems problems) {
    List<String> kinds = new ArrayList<>();
    if (secret != null) kinds.add("secret");
    if (certificate != null) kinds.add("certificate");
    if (federated != null) kinds.add("federated");
    if (managedIdentity != null) kinds.add("managedIdentity");
    if (kinds.isEmpty()) {
      problems.add(field(path, "secret"), "missing, and no other way to sign in either; give exactly one of secret: { keyVault: NAME }, "
          + "certificate: { keyVault: NAME }, federated: { tokenFile: PATH } or managedIdentity: { clientId: GUID }");
    } else if (kinds.size() > 1) {
      problems.add(path, "has " + String.join(" and ", kinds) + "; give exactly one way to sign in");
    }
    if (managedIdentity == null) {
      if (tenant == null) {
        problems.add(field(path, "tenant"), "missing; give the directory (tenant) id of the app registration");
      } else if (!Checks.GUID.matcher(tenant).matches() && !TENANT_DOMAIN.matcher(tenant).matches()) {
        problems.add(field(path, "tenant"), "'" + tenant + "' is neither a tenant id (GUID) nor a domain such as contoso.onmicrosoft.com");
      }
      if (clientId == null) {
        problems.add(field(path, "clientId"), "missing; give the application (client) id of the app registration");
      } else if (!Checks.GUID.matcher(clientId).matches()) {
        problems.add(field(path, "clientId"), "'" + clientId + "' is not a GUID; copy the application (client) id from the app registration");
      }
    }
    keyVaultName(field(path, "secret"), secret, "the client secret", problems);
    keyVaultName(field(path, "certificate"), certificate, "the certificate", problems);
    if (federated != null && (federated.tokenFile() == null || federated.tokenFile().isBlank())) {
      problems.add(field(field(path, "federated"), "tokenFile"), "missing; give the path of the projected token file "
          + "(on AKS the value of AZURE_FEDERATED_TOKEN_FILE: tokenFile: \"${AZURE_FEDERATED_TOKEN_FILE}\")");
    }
    if (managedIdentity != null) {
      String idPath = field(field(path, "managedIdentity"), "clientId");
      if (managedIdentity.clientId() == null) {
        problems.add(idPath, "missing; give the client id of the user-assigned managed identity");
      } else if (!Checks.GUID.matcher(managedIdentity.clientId()).matches()) {
        problems.add(idPath, "'" + managedIdentity.clientId() + "' is not a GUID; copy the managed identity's client id");
      } else if (!managedIdentity.clientId().equals(clientId)) {
        problems.add(field(path, "clientId"), "differs from managedIdentity.clientId; the managed identity is the "
            + "service principal, so leave clientId out");
      }
      if (managedIdentity.endpoint() != null) {
        Checks.secureUrl(field(field(path, "managedIdentity"), "endpoint"), managedIdentity.endpoint(),
            ManagedIdentityCredential.IMDS_TOKEN_URL, problems);
      } else if (managedIdentity.identityHeader() != null) {
        problems.add(field(field(path, "managedIdentity"), "identityHeader"), "goes with an endpoint; leave both out "
            + "to use the host's own (IDENTITY_ENDPOINT and IDENTITY_HEADER where the platform sets them)");
      }
    }
  }

  private static void keyVaultName(String path, SecretReference reference, String what, Problems problems) {
    if (reference == null) return;
    if (reference.keyVault() == null) {
      problems.add(field(path, "keyVault"), "missing; name the Key Vault secret holding " + what);
    } else if (!SECRET_NAME.matcher(reference.keyVault()).matches()) {
      problems.add(field(path, "keyVault"), "'" + reference.keyVault()
          + "' is not a Key Vault secret name (1-127 letters, digits and dashes)");
    }
  }
}
