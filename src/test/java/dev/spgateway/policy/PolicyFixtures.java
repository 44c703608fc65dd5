package dev.spgateway.policy;

import dev.spgateway.config.ConfigLoader;
import dev.spgateway.config.GatewayConfig;
import java.util.Map;

/** Configs for policy tests, read through the real loader and validator. */
final class PolicyFixtures {

  static final String CALLER = "flow";

  /** A Graph upstream {@code graph}, a Dataverse upstream {@code crm}, one caller {@code flow} with {@code routes}. */
  static final String CONFIG = """
      keyVault: { url: https://contoso-flows.vault.azure.net }
      servicePrincipals:
        finance: { tenant: 72f988bf-0000-0000-0000-2d7cd011db47, clientId: 1b4c0000-0000-0000-0000-00000000a11c,
                   secret: { keyVault: finance-client-secret } }
        crm-sync: { tenant: 72f988bf-0000-0000-0000-2d7cd011db47, clientId: 1b4c0000-0000-0000-0000-00000000a11d,
                    secret: { keyVault: crm-sync-client-secret } }
      upstreams:
        graph: { url: https://graph.microsoft.com, kind: graph }
        crm:   { url: https://contoso.crm.dynamics.com, kind: dataverse }
      callers:
        flow:
          apiKey: { sha256: f36472f24c352c9945277710facbc9418885115285d9b1db9c46ef0a236af03e }
          routes:
      %s
      """;

  private PolicyFixtures() {}

  static GatewayConfig config(String routes) {
    String indented = routes.stripTrailing().indent(6);
    return new ConfigLoader(Map.<String, String>of()::get).parse("policy.yaml", CONFIG.formatted(indented));
  }

  static PolicyEngine engine(String routes) {
    GatewayConfig config = config(routes);
    return new PolicyEngine(config.routes(), config.upstreams());
  }

  static Decision get(PolicyEngine engine, String upstream, String target) {
    return engine.decide(CALLER, new PolicyRequest("GET", upstream, target, null, 0));
  }
}
