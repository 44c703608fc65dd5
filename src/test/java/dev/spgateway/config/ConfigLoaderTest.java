package dev.spgateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spgateway.config.ConfigException.ConfigProblem;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigLoaderTest {

  static final String KEY_HASH = "f36472f24c352c9945277710facbc9418885115285d9b1db9c46ef0a236af03e";

  static final String VALID = """
      listener: { publicBaseUrl: https://gateway.contoso.com }
      keyVault: { url: https://contoso-flows.vault.azure.net }
      servicePrincipals:
        finance:
          tenant: 72f988bf-0000-0000-0000-2d7cd011db47
          clientId: 1b4c0000-0000-0000-0000-00000000a11c
          secret: { keyVault: finance-client-secret }
      upstreams:
        graph:    { url: https://graph.microsoft.com, kind: graph }
        crm-prod: { url: https://contoso.crm.dynamics.com, kind: dataverse, timeout: 30s }
      callers:
        invoice-flow:
          apiKey: { sha256: %s }
          routes:
            - { upstream: graph, as: finance, allow: [ "GET /v1.0/users/{id}", "POST /v1.0/users/{id}/sendMail" ] }
      """.formatted(KEY_HASH);

  final ConfigLoader loader = new ConfigLoader(Map.of("VAULT", "https://env-vault.vault.azure.net")::get);

  @Test
  void bindsAValidConfigWithDefaults() {
    GatewayConfig config = loader.parse("gateway.yaml", VALID);
    assertThat(config.listener().port()).isEqualTo(8080);
    assertThat(config.admin().host()).isEqualTo("127.0.0.1");
    assertThat(config.upstreams().get("crm-prod").timeout()).hasSeconds(30);
    assertThat(config.upstreams().get("graph").effectiveResource()).isEqualTo("https://graph.microsoft.com");
    assertThat(config.callers().get("invoice-flow").routes().get(0).allow()).hasSize(2);
    assertThat(config.servicePrincipals().get("finance").secret().keyVault()).isEqualTo("finance-client-secret");
  }

  @Test
  void resolvesEnvironmentReferencesAndDefaults() {
    String yaml = VALID.replace("https://contoso-flows.vault.azure.net", "\"${VAULT}\"")
        .replace("kind: dataverse, timeout: 30s", "kind: dataverse, timeout: \"${TIMEOUT:-45s}\"");
    GatewayConfig config = loader.parse("gateway.yaml", yaml);
    assertThat(config.keyVault().url()).hasToString("https://env-vault.vault.azure.net");
    assertThat(config.upstreams().get("crm-prod").timeout()).hasSeconds(45);
  }

  /** Each kind of broken config names the file, the path and what to do. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      unset environment variable  | https://contoso-flows.vault.azure.net     | "${NOPE}"                               | keyVault.url                          | environment variable NOPE is not set
      unknown key                 | kind: graph }                             | kind: graph, colour: blue }             | upstreams.graph.colour                | unknown key; expected one of
      route to unknown SP         | as: finance                               | as: finanse                             | callers.invoice-flow.routes[0].as     | unknown service principal 'finanse'; known: finance
      route to unknown upstream   | upstream: graph,                          | upstream: grpah,                        | callers.invoice-flow.routes[0].upstream | unknown upstream 'grpah'; known: crm-prod, graph
      plain http to the internet  | https://graph.microsoft.com               | http://graph.microsoft.com              | upstreams.graph.url                   | uses http:// to another machine; use https://
      relative url                | https://contoso.crm.dynamics.com          | contoso.crm.dynamics.com                | upstreams.crm-prod.url                | is not an absolute URL
      bad client id               | 1b4c0000-0000-0000-0000-00000000a11c      | my-app                                  | servicePrincipals.finance.clientId    | is not a GUID
      bad secret name             | finance-client-secret                     | finance_client_secret                   | servicePrincipals.finance.secret.keyVault | is not a Key Vault secret name
      bad key hash                | sha256: f364                              | sha256: zz64                            | callers.invoice-flow.apiKey.sha256    | is not 64 hex digits
      bad rule method             | GET /v1.0/users/{id}                      | FETCH /v1.0/users/{id}                  | callers.invoice-flow.routes[0].allow[0] | 'FETCH' is not one of
      bad rule path               | POST /v1.0/users/{id}/sendMail            | POST /v1.0/users/../sendMail            | callers.invoice-flow.routes[0].allow[1] | dot segment
      bad duration                | timeout: 30s                              | timeout: soon                           | upstreams.crm-prod.timeout            | 'soon' is not a duration such as 500ms
      bad kind                    | kind: dataverse                           | kind: sharepoint                        | upstreams.crm-prod.kind               | 'sharepoint' is not one of: graph, dataverse
      vault without TLS           | https://contoso-flows.vault.azure.net     | http://contoso-flows.vault.azure.net    | keyVault                              | keyVault.url must be an https:// URL
      no public URL off loopback  | listener: { publicBaseUrl: https://gateway.contoso.com } | listener: { host: 0.0.0.0 } | listener.publicBaseUrl | missing; the listener is on '0.0.0.0'
      public URL over plain http  | publicBaseUrl: https://gateway.contoso.com | publicBaseUrl: http://gateway.contoso.com | listener.publicBaseUrl | use https://
      public URL with a user      | publicBaseUrl: https://gateway.contoso.com | publicBaseUrl: https://me@gateway.contoso.com | listener.publicBaseUrl | no user, query or fragment
      public URL with a query     | publicBaseUrl: https://gateway.contoso.com | publicBaseUrl: "https://gateway.contoso.com/?a=1" | listener.publicBaseUrl | no user, query or fragment
      """)
  void brokenConfigNamesFilePathAndFix(String kind, String replace, String with, String path, String message) {
    String yaml = VALID.replace(replace, with);
    assertThat(yaml).as("the test's replacement applies").isNotEqualTo(VALID);
    assertThatThrownBy(() -> loader.parse("gateway.yaml", yaml))
        .isInstanceOfSatisfying(ConfigException.class, e -> {
          assertThat(e.file()).isEqualTo("gateway.yaml");
          assertThat(e.problems()).anySatisfy(problem -> {
            assertThat(problem.path()).isEqualTo(path);
            assertThat(problem.message()).contains(message);
          });
          assertThat(e.getMessage()).startsWith("gateway.yaml: ").contains(path);
        });
  }

  /** Jackson stops at its first binding error; the loader goes on, so one run shows them all. */
  @Test
  void everyProblemOfABrokenFileIsReportedInOneRun() {
    String yaml = VALID
        .replace("graph:    { url: https://graph.microsoft.com, kind: graph }",
            "graph:    { url: https://graph.microsoft.com, kind: graph, colour: blue }") // unknown key
        .replace("kind: dataverse", "kind: sharepoint")                                 // unknown value
        .replace("timeout: 30s", "timeout: soon")                                       // not a duration
        .replace("as: finance", "as: finanse")                                           // a check after binding
        .replace("listener: { publicBaseUrl: https://gateway.contoso.com }\n", "")
        + """
        listener: { port: eighty, publicBaseUrl: https://gateway.contoso.com }
        audit: { durability: sometimes, queueSize: [1, 2] }
        ratelimit: { store: redis, redis: { url: "${REDIS_URL}" } }
        colours: [ red ]
        """;
    assertThatThrownBy(() -> loader.parse("gateway.yaml", yaml))
        .isInstanceOfSatisfying(ConfigException.class, e -> {
          assertThat(e.problems()).extracting(ConfigProblem::path).containsExactlyInAnyOrder(
              "upstreams.graph.colour", "upstreams.crm-prod.kind", "upstreams.crm-prod.timeout",
              "callers.invoice-flow.routes[0].as", "listener.port", "audit.durability", "audit.queueSize",
              "ratelimit.redis.url", "colours");
          assertThat(e.getMessage()).startsWith("gateway.yaml: 9 problems")
              .contains("upstreams.graph.colour: unknown key; expected one of: connectTimeout,")
              .contains("upstreams.crm-prod.kind: 'sharepoint' is not one of: graph, dataverse")
              .contains("upstreams.crm-prod.timeout: 'soon' is not a duration such as 500ms")
              .contains("listener.port: 'eighty' is not a whole number")
              .contains("audit.durability: 'sometimes' is not one of: buffered, strict")
              .contains("audit.queueSize: expected a whole number")
              .contains("ratelimit.redis.url: environment variable REDIS_URL is not set")
              .contains("colours: unknown key; expected one of: admin, audit, batch, callers,");
        });
  }

  @Test
  void aSectionIsReadOnItsOwnWithoutTheOthersEnvironment(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    Path file = java.nio.file.Files.writeString(dir.resolve("gateway.yaml"), VALID.replace(
        "https://contoso-flows.vault.azure.net", "\"${UNSET_VAULT}\"") + "audit: { file: \"${AUDIT_DIR:-/var/audit}/a.jsonl\" }\n");
    dev.spgateway.audit.AuditConfig audit = loader.loadSection(file, "audit", dev.spgateway.audit.AuditConfig.class,
        (section, problems) -> section.check("audit", problems));
    assertThat(audit.file()).isEqualTo("/var/audit/a.jsonl");
    assertThatThrownBy(() -> loader.load(file)).hasMessageContaining("keyVault.url: environment variable UNSET_VAULT");

    Path broken = java.nio.file.Files.writeString(dir.resolve("broken.yaml"), "audit: { file: a.jsonl, colour: blue }\n");
    assertThatThrownBy(() -> loader.loadSection(broken, "audit", dev.spgateway.audit.AuditConfig.class, (s, p) -> {}))
        .hasMessageContaining("audit.colour: unknown key");
  }

  @Test
  void missingFieldsAreAllReportedAtOnce() {
    String yaml = """
        listener: { publicBaseUrl: https://gateway.contoso.com }
        keyVault: { url: https://contoso-flows.vault.azure.net }
        servicePrincipals:
          finance: { tenant: 72f988bf-0000-0000-0000-2d7cd011db47 }
        upstreams:
          graph: { kind: graph }
        callers:
          flow: { routes: [] }
        """;
    assertThatThrownBy(() -> loader.parse("gateway.yaml", yaml))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).extracting(ConfigProblem::path)
            .contains("servicePrincipals.finance.clientId", "servicePrincipals.finance.secret", "upstreams.graph.url",
                "callers.flow.apiKey", "callers.flow.routes"));
  }

  @Test
  void sameKeyForTwoCallersIsRefused() {
    String yaml = VALID + """
          second-flow:
            apiKey: { sha256: %s }
            routes: [ { upstream: graph, as: finance, allow: [ "GET /v1.0/users" ] } ]
        """.formatted(KEY_HASH);
    assertThatThrownBy(() -> loader.parse("gateway.yaml", yaml))
        .hasMessageContaining("is the same key as caller");
  }

  @Test
  void yamlSyntaxErrorsAndDuplicateKeysGiveALine() {
    assertThatThrownBy(() -> loader.parse("gateway.yaml", "upstreams: [\n  graph: {"))
        .hasMessageStartingWith("gateway.yaml: not valid YAML (line");
    assertThatThrownBy(() -> loader.parse("gateway.yaml", VALID + "upstreams: {}\n"))
        .hasMessageContaining("Duplicate field 'upstreams'");
  }

  @Test
  void aMissingFileSaysSo() {
    assertThatThrownBy(() -> loader.load(Path.of("does/not/exist.yaml")))
        .hasMessage("does/not/exist.yaml: file not found; pass the path of your config with --config");
  }

  @Test
  void plainHttpIsAcceptedOnLoopbackOnly() {
    String yaml = VALID.replace("https://graph.microsoft.com", "http://127.0.0.1:8081");
    assertThat(loader.parse("gateway.yaml", yaml).upstreams().get("graph").url().getPort()).isEqualTo(8081);
  }
}
