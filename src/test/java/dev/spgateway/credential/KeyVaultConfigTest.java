package dev.spgateway.credential;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class KeyVaultConfigTest {

  // The lead's loader binds durations its own way ("10s"); ISO-8601 is enough to test the record.
  private final ObjectMapper yaml = new ObjectMapper(new YAMLFactory()).registerModule(new JavaTimeModule());

  @Test
  void urlAloneMeansDefaultAzureCredentialAndDefaults() throws Exception {
    KeyVaultConfig config = bind("url: https://contoso-flows.vault.azure.net");

    assertThat(config.url()).isEqualTo(URI.create("https://contoso-flows.vault.azure.net"));
    assertThat(config.credential().usesDefaultAzureCredential()).isTrue();
    assertThat(config.clientSettings().timeout()).isEqualTo(KeyVaultConfig.DEFAULT_TIMEOUT);
    assertThat(config.clientSettings().maxRetries()).isEqualTo(KeyVaultConfig.DEFAULT_MAX_RETRIES);
  }

  @Test
  void credentialDefaultIsTheWordForm() throws Exception {
    KeyVaultConfig config = bind("""
        url: https://contoso-flows.vault.azure.net
        credential: default
        timeout: PT2S
        maxRetries: 0
        """);

    assertThat(config.credential()).isSameAs(KeyVaultConfig.Credential.DEFAULT);
    assertThat(config.clientSettings().timeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(config.clientSettings().maxRetries()).isZero();
  }

  @Test
  void clientSecretFormBindsAndNeverPrintsTheSecret() throws Exception {
    KeyVaultConfig config = bind("""
        url: https://contoso-flows.vault.azure.net
        credential:
          tenant: 72f988bf-0000-0000-0000-2d7cd011db47
          clientId: 5e1d0000-0000-0000-0000-0000000000aa
          secret: s3cr3t-from-env
        """);

    assertThat(config.credential().usesDefaultAzureCredential()).isFalse();
    assertThat(config.credential().clientId()).isEqualTo("5e1d0000-0000-0000-0000-0000000000aa");
    assertThat(config.credential().secret()).isEqualTo("s3cr3t-from-env");
    assertThat(config.toString()).contains("5e1d0000-0000-0000-0000-0000000000aa").doesNotContain("s3cr3t-from-env");
  }

  @Test
  void halfAClientSecretIsRefused() {
    assertThatThrownBy(() -> bind("""
        url: https://contoso-flows.vault.azure.net
        credential: { clientId: 5e1d0000-0000-0000-0000-0000000000aa }
        """))
        .isInstanceOf(ValueInstantiationException.class)
        .hasMessageContaining("keyVault.credential needs all of tenant, clientId and secret");
  }

  @Test
  void anUnknownCredentialWordIsRefused() {
    assertThatThrownBy(() -> bind("""
        url: https://contoso-flows.vault.azure.net
        credential: managed-identity
        """))
        .hasMessageContaining("keyVault.credential is 'default' or { tenant, clientId, secret }");
  }

  @Test
  void urlMustBeHttps() {
    assertThatThrownBy(() -> bind("url: http://contoso-flows.vault.azure.net"))
        .hasMessageContaining("keyVault.url must be an https:// URL");
    assertThatThrownBy(() -> bind("credential: default")).hasMessageContaining("keyVault.url is required");
  }

  @Test
  void challengeResourceVerificationStaysOnOnlyForAzureVaultHosts() {
    assertThat(KeyVaultClients.isAzureKeyVaultHost(URI.create("https://contoso.vault.azure.net"))).isTrue();
    assertThat(KeyVaultClients.isAzureKeyVaultHost(URI.create("https://contoso.vault.usgovcloudapi.net"))).isTrue();
    assertThat(KeyVaultClients.isAzureKeyVaultHost(URI.create("https://127.0.0.1:8443"))).isFalse();
    assertThat(KeyVaultClients.isAzureKeyVaultHost(URI.create("https://vault.azure.net.example.com"))).isFalse();
  }

  private KeyVaultConfig bind(String text) throws Exception {
    return yaml.readValue(text, KeyVaultConfig.class);
  }
}
