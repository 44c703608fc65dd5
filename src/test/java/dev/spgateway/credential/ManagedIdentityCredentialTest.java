package dev.spgateway.credential;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.credential.ServicePrincipalConfig.ManagedIdentityReference;
import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which endpoint a managed identity asks, and with which protocol (the tokens themselves: CredentialsGatewayTest). */
class ManagedIdentityCredentialTest {

  static final String CLIENT_ID = "7b4c0000-0000-4000-8000-00000000a77c";

  @Test
  void onAVmOrAnAksNodeItIsTheInstanceMetadataService() {
    assertThat(endpoint(null, null, Map.of())).isEqualTo(ManagedIdentityCredential.IMDS_TOKEN_URL
        + " (instance metadata service)");
  }

  @Test
  void onAppServiceFunctionsOrContainerAppsItIsThePlatformsEndpointWithItsHeader() {
    Map<String, String> appService = Map.of("IDENTITY_ENDPOINT", "http://localhost:42356/msi/token",
        "IDENTITY_HEADER", "853b9a84-5bfa-4b22-a3f3-0b9a43d9ad8a");
    assertThat(endpoint(null, null, appService)).isEqualTo("http://localhost:42356/msi/token (App Service identity endpoint)");
    assertThat(endpoint(null, null, Map.of("IDENTITY_ENDPOINT", "http://localhost:42356/msi/token")))
        .as("an endpoint without its header is not App Service's").endsWith("(instance metadata service)");
  }

  @Test
  void aConfiguredEndpointWinsOverTheEnvironment() {
    Map<String, String> appService = Map.of("IDENTITY_ENDPOINT", "http://localhost:42356/msi/token",
        "IDENTITY_HEADER", "853b9a84-5bfa-4b22-a3f3-0b9a43d9ad8a");
    assertThat(endpoint("http://127.0.0.1:9999/metadata/identity/oauth2/token", null, appService))
        .isEqualTo("http://127.0.0.1:9999/metadata/identity/oauth2/token (instance metadata service)");
    assertThat(endpoint("http://127.0.0.1:9999/msi/token", "h", Map.of()))
        .isEqualTo("http://127.0.0.1:9999/msi/token (App Service identity endpoint)");
  }

  private static String endpoint(String endpoint, String header, Map<String, String> environment) {
    var principal = new ServicePrincipalConfig(null, CLIENT_ID, null, null, null,
        new ManagedIdentityReference(CLIENT_ID, endpoint == null ? null : URI.create(endpoint), header));
    return new ManagedIdentityCredential("node", principal, null, environment).endpoint();
  }
}
