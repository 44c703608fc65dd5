package dev.spgateway.credential;

import static dev.spgateway.check.Problems.field;

import dev.spgateway.check.Checks;
import dev.spgateway.check.Problems;
import java.util.regex.Pattern;

/**
 * An Entra ID app registration the gateway acts as.
 *
 * <p>{@code secret} is an object rather than a bare name so that a sibling {@code certificate}
 * reference can be added later without changing the YAML shape of existing configs.
 *
 * @param tenant the directory (tenant) id or domain the app lives in
 * @param clientId the application (client) id
 * @param secret where the client secret is kept
 */
public record ServicePrincipalConfig(String tenant, String clientId, SecretReference secret) {

  private static final Pattern TENANT_DOMAIN = Pattern.compile("[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+");
  private static final Pattern SECRET_NAME = Pattern.compile("[0-9A-Za-z-]{1,127}");

  public void check(String path, Problems problems) {
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
    if (secret == null || secret.keyVault() == null) {
      problems.add(field(path, "secret"), "missing; name the Key Vault secret holding the client secret: secret: { keyVault: NAME }");
    } else if (!SECRET_NAME.matcher(secret.keyVault()).matches()) {
      problems.add(field(field(path, "secret"), "keyVault"), "'" + secret.keyVault()
          + "' is not a Key Vault secret name (1-127 letters, digits and dashes)");
    }
  }
}
