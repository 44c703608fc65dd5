package dev.spgateway.policy.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spgateway.config.ConfigException;
import dev.spgateway.config.ConfigLoader;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The {@code batch:} section as an operator writes it, through the real config loader. */
class BatchConfigTest {

  static final String CONFIG = """
      keyVault: { url: https://contoso-flows.vault.azure.net }
      servicePrincipals:
        finance:
          tenant: 72f988bf-0000-0000-0000-2d7cd011db47
          clientId: 1b4c0000-0000-0000-0000-00000000a11c
          secret: { keyVault: finance-client-secret }
      upstreams:
        graph: { url: https://graph.microsoft.com, kind: graph }
      callers:
        invoice-flow:
          apiKey: { sha256: f36472f24c352c9945277710facbc9418885115285d9b1db9c46ef0a236af03e }
          routes:
            - { upstream: graph, as: finance, allow: [ "GET /v1.0/users/{id}" ] }
      """;

  final ConfigLoader loader = new ConfigLoader(Map.<String, String>of()::get);

  @Test
  void theBoundDefaultsToOneMebibyteAndCanBeSet() {
    assertThat(loader.parse("gateway.yaml", CONFIG).batch().maxBodyBytes()).isEqualTo(1024 * 1024);
    assertThat(loader.parse("gateway.yaml", CONFIG + "batch: { maxBodyBytes: 262144 }\n").batch().maxBodyBytes())
        .isEqualTo(262144);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', textBlock = """
      maxBodyBytes: 0         | batch                 | maxBodyBytes 0 is out of range; give 1 to 16777216 bytes (default 1048576)
      maxBodyBytes: 99999999  | batch                 | maxBodyBytes 99999999 is out of range; give 1 to 16777216 bytes
      maxBodyBytes: 1MiB      | batch.maxBodyBytes    | '1MiB' is not
      maxBody: 10             | batch.maxBody         | unknown key
      """)
  void aBrokenSectionStopsTheStartNamingFilePathAndFix(String section, String path, String message) {
    assertThatThrownBy(() -> loader.parse("gateway.yaml", CONFIG + "batch: { " + section + " }\n"))
        .isInstanceOfSatisfying(ConfigException.class, e -> {
          assertThat(e.file()).isEqualTo("gateway.yaml");
          assertThat(e.problems()).anySatisfy(problem -> {
            assertThat(problem.path()).isEqualTo(path);
            assertThat(problem.message()).contains(message);
          });
        });
  }
}
