package dev.spgateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spgateway.credential.KeyVaultConfig;
import dev.spgateway.credential.ServicePrincipalConfig.Kind;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The four ways a service principal signs in, and the checks that keep a config to exactly one. */
class ServicePrincipalConfigTest {

  static final String TENANT = "72f988bf-0000-0000-0000-2d7cd011db47";
  static final String CALLERS = """
      listener: { host: 127.0.0.1 }
      upstreams:
        graph: { url: https://graph.microsoft.com, kind: graph }
      callers:
        invoice-flow:
          apiKey: { sha256: %s }
          routes:
            - { upstream: graph, as: finance, allow: [ "GET /v1.0/users/{id}" ] }
      """.formatted(ConfigLoaderTest.KEY_HASH);

  final ConfigLoader loader = new ConfigLoader(Map.of("AZURE_FEDERATED_TOKEN_FILE", "/var/run/secrets/token")::get);

  @Test
  void eachKindBindsWithKeyVaultRefreshAndExpiryWarning() {
    GatewayConfig config = loader.parse("gateway.yaml", """
        keyVault: { url: https://contoso-flows.vault.azure.net, refresh: 30m, expiryWarning: 14d }
        servicePrincipals:
          finance: { tenant: %1$s, clientId: 1b4c0000-0000-0000-0000-00000000a11c, secret: { keyVault: finance-secret } }
          reports: { tenant: %1$s, clientId: 2b4c0000-0000-0000-0000-00000000a11c, certificate: { keyVault: reports-cert } }
          pods:    { tenant: %1$s, clientId: 3b4c0000-0000-0000-0000-00000000a11c, federated: { tokenFile: "${AZURE_FEDERATED_TOKEN_FILE}" } }
          node:    { managedIdentity: { clientId: 4b4c0000-0000-0000-0000-00000000a11c } }
        """.formatted(TENANT) + CALLERS);

    assertThat(config.servicePrincipals().get("finance").kind()).isEqualTo(Kind.SECRET);
    assertThat(config.servicePrincipals().get("reports").kind()).isEqualTo(Kind.CERTIFICATE);
    assertThat(config.servicePrincipals().get("reports").keyVaultSecret()).hasValue("reports-cert");
    assertThat(config.servicePrincipals().get("pods").federated().tokenFile()).isEqualTo("/var/run/secrets/token");
    assertThat(config.servicePrincipals().get("node").kind()).isEqualTo(Kind.MANAGED_IDENTITY);
    assertThat(config.servicePrincipals().get("node").clientId()).isEqualTo("4b4c0000-0000-0000-0000-00000000a11c");
    assertThat(config.keyVault().refresh()).isEqualTo(Duration.ofMinutes(30));
    assertThat(config.keyVault().expiryWarning()).isEqualTo(Duration.ofDays(14));
  }

  @Test
  void keyVaultDefaultsToAnHourlyRefreshAndIsNotNeededWithoutSecrets() {
    assertThat(new KeyVaultConfig(java.net.URI.create("https://v.vault.azure.net"), null, null, null).refresh())
        .isEqualTo(Duration.ofHours(1));
    GatewayConfig config = loader.parse("gateway.yaml", """
        servicePrincipals:
          finance: { managedIdentity: { clientId: 4b4c0000-0000-0000-0000-00000000a11c } }
        """ + CALLERS);
    assertThat(config.keyVault()).isNull();
  }

  @Test
  void twoKindsOrNoneAreRefusedNamingTheField() {
    assertProblem("""
        keyVault: { url: https://contoso-flows.vault.azure.net }
        servicePrincipals:
          finance:
            tenant: %s
            clientId: 1b4c0000-0000-0000-0000-00000000a11c
            secret: { keyVault: finance-secret }
            certificate: { keyVault: finance-cert }
        """.formatted(TENANT), "servicePrincipals.finance", "has secret and certificate; give exactly one way to sign in");
    assertProblem("""
        servicePrincipals:
          finance: { tenant: %s, clientId: 1b4c0000-0000-0000-0000-00000000a11c }
        """.formatted(TENANT), "servicePrincipals.finance.secret", "give exactly one of secret");
    assertProblem("""
        servicePrincipals:
          finance: { tenant: %s, clientId: 1b4c0000-0000-0000-0000-00000000a11c, federated: {} }
        """.formatted(TENANT), "servicePrincipals.finance.federated.tokenFile", "AZURE_FEDERATED_TOKEN_FILE");
    assertProblem("""
        servicePrincipals:
          finance: { clientId: 1b4c0000-0000-0000-0000-00000000a11c, managedIdentity: { clientId: 4b4c0000-0000-0000-0000-00000000a11c } }
        """, "servicePrincipals.finance.clientId", "leave clientId out");
    assertProblem("""
        servicePrincipals:
          finance: { managedIdentity: { clientId: 4b4c0000-0000-0000-0000-00000000a11c, identityHeader: x } }
        """, "servicePrincipals.finance.managedIdentity.identityHeader", "goes with an endpoint");
    assertProblem("""
        servicePrincipals:
          finance: { tenant: %s, clientId: 1b4c0000-0000-0000-0000-00000000a11c, certificate: { keyVault: reports-cert } }
        """.formatted(TENANT), "keyVault", "add keyVault: { url:");
    assertProblem("""
        keyVault: { url: https://contoso-flows.vault.azure.net, refresh: 10s }
        servicePrincipals:
          finance: { tenant: %s, clientId: 1b4c0000-0000-0000-0000-00000000a11c, secret: { keyVault: s } }
        """.formatted(TENANT), "keyVault", "keyVault.refresh must be at least 1m");
  }

  private void assertProblem(String principals, String path, String message) {
    assertThatThrownBy(() -> loader.parse("gateway.yaml", principals + CALLERS))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).anySatisfy(problem -> {
          assertThat(problem.path()).isEqualTo(path);
          assertThat(problem.message()).contains(message);
        }));
  }
}
