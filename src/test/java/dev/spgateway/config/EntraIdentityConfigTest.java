package dev.spgateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spgateway.identity.EntraCallerConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** identity.entra and callers' entra identities: bound, sliced for identity, and every mistake named. */
class EntraIdentityConfigTest {

  static final String SCRIPT_APP = "3f2a0000-0000-4000-8000-000000000001";
  static final String VALID = """
      keyVault: { url: https://contoso-flows.vault.azure.net }
      entra: { authority: https://login.microsoftonline.us }
      identity:
        entra:
          tenants: [ 72F988BF-0000-4000-8000-2d7cd011db47 ]
          audiences: [ "api://sp-gateway", 9a1b0000-0000-4000-8000-0000000000aa ]
      servicePrincipals:
        finance:
          tenant: 72f988bf-0000-0000-0000-2d7cd011db47
          clientId: 1b4c0000-0000-0000-0000-00000000a11c
          secret: { keyVault: finance-client-secret }
      upstreams:
        graph: { url: https://graph.microsoft.com, kind: graph }
      callers:
        nightly-report:
          entra: { appId: %s, roles: [ Gateway.Call ] }
          routes: [ { upstream: graph, as: finance, allow: [ "GET /v1.0/users" ] } ]
        laptop-admin:
          apiKey: { sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 }
          entra: { objectId: 5c1d0000-0000-4000-8000-0000000000bb }
          routes: [ { upstream: graph, as: finance, allow: [ "GET /v1.0/users" ] } ]
      """.formatted(SCRIPT_APP);

  final ConfigLoader loader = new ConfigLoader(Map.<String, String>of()::get);

  @Test
  void bindsTheTokenSettingsAndHandsIdentityItsSlice() {
    GatewayConfig config = loader.parse("gateway.yaml", VALID);
    assertThat(config.identity().entra().tenants()).containsExactly("72f988bf-0000-4000-8000-2d7cd011db47");
    assertThat(config.identity().entra().v1Issuer()).hasToString("https://sts.windows.net");
    assertThat(config.entraCallers()).containsOnlyKeys("nightly-report", "laptop-admin");
    assertThat(config.entraCallers().get("nightly-report"))
        .isEqualTo(new EntraCallerConfig(SCRIPT_APP, null, List.of("Gateway.Call")));
    assertThat(config.apiKeys()).containsOnlyKeys("laptop-admin");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      tokens not accepted        | identity:                                  | unused:                                   | callers.nightly-report.entra           | Entra ID tokens are not accepted
      tenant not a GUID          | 72F988BF-0000-4000-8000-2d7cd011db47       | contoso.onmicrosoft.com                   | identity.entra.tenants[0]              | is not a tenant id
      no audiences               | [ "api://sp-gateway", 9a1b0000-0000-4000-8000-0000000000aa ] | [ ]     | identity.entra.audiences               | is empty
      neither appId nor objectId | entra: { appId: 3f2a0000-0000-4000-8000-000000000001, roles: [ Gateway.Call ] } | entra: { roles: [ Gateway.Call ] } | callers.nightly-report.entra | give appId
      appId not a GUID           | appId: 3f2a0000-0000-4000-8000-000000000001 | appId: nightly-report-app                | callers.nightly-report.entra.appId     | is not a GUID
      role with a space          | roles: [ Gateway.Call ]                    | roles: [ "Gateway Call" ]                 | callers.nightly-report.entra.roles[0]  | without spaces
      neither apiKey nor entra   | entra: { appId: 3f2a0000-0000-4000-8000-000000000001, roles: [ Gateway.Call ] } | limits: null | callers.nightly-report.apiKey | missing
      same identity twice        | objectId: 5c1d0000-0000-4000-8000-0000000000bb | appId: 3f2a0000-0000-4000-8000-000000000001 | callers.*.entra               | names the same identity (appId 3f2a0000-0000-4000-8000-000000000001) as caller 
      unknown key                | roles: [ Gateway.Call ]                    | roles: [ Gateway.Call ], scope: x         | callers.nightly-report.entra.scope     | unknown key
      """)
  void everyMistakeIsNamedWithItsPath(String kind, String replace, String with, String path, String message) {
    String yaml = VALID.replace(replace, with);
    assertThat(yaml).as("the test's replacement applies").isNotEqualTo(VALID);
    if (kind.equals("tokens not accepted")) {
      // Drop the identity section altogether.
      String withoutIdentity = VALID.replaceAll("(?s)identity:\\n.*?(?=servicePrincipals:)", "");
      assertProblem(withoutIdentity, path, message);
      return;
    }
    assertProblem(yaml, path, message);
  }

  private void assertProblem(String yaml, String path, String message) {
    assertThatThrownBy(() -> loader.parse("gateway.yaml", yaml))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).anySatisfy(problem -> {
          // '*': either caller of a pair may be the one reported (callers are a map).
          assertThat(problem.path()).matches(java.util.regex.Pattern.quote(path).replace("*", "\\E[a-z-]+\\Q"));
          assertThat(problem.message()).contains(message);
        }));
  }
}
