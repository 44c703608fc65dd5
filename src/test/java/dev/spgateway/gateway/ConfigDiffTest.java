package dev.spgateway.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.config.ConfigLoader;
import dev.spgateway.config.GatewayConfig;
import dev.spgateway.identity.ApiKeys;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which changes a reload may make, and which need a restart. */
class ConfigDiffTest {

  static final String BASE = """
      listener: { host: 127.0.0.1, port: 8080 }
      admin: { host: 127.0.0.1, port: 9090 }
      keyVault: { url: "https://contoso.vault.azure.net" }
      servicePrincipals:
        finance: { tenant: 72f988bf-0000-0000-0000-2d7cd011db47, clientId: 1b4c0000-0000-4000-8000-00000000a11c, secret: { keyVault: finance-secret } }
      upstreams:
        graph: { url: "https://graph.microsoft.com", kind: graph }
      callers:
        invoice-flow:
          apiKey: { sha256: "%s" }
          routes: [ { upstream: graph, as: finance, allow: [ "GET /v1.0/users" ] } ]
      audit: { file: /var/lib/sp-gateway/audit.jsonl }
      ratelimit: { servicePrincipals: { finance: { perDay: 1000 } } }
      """.formatted(ApiKeys.sha256Hex("spg_test-key"));

  @Test
  void callersRoutesUpstreamsBudgetsAndReadersChangeLive() {
    GatewayConfig next = parse(BASE
        .replace("\"GET /v1.0/users\"", "\"GET /v1.0/users/{id}\"")
        .replace("https://graph.microsoft.com", "https://graph.microsoft.us")
        .replace("perDay: 1000", "perDay: 2000"));
    assertThat(ConfigDiff.restartOnly(parse(BASE), next)).isEmpty();
    assertThat(ConfigDiff.describe(parse(BASE), next))
        .isEqualTo("callers ~invoice-flow; upstreams ~graph; ratelimit.servicePrincipals changed");
  }

  @Test
  void portsTheAuditFileTrustAndTheRateLimitStoreNeedARestart() {
    GatewayConfig next = parse(BASE
        .replace("port: 8080", "port: 8081")
        .replace("port: 9090", "port: 9091")
        .replace("audit.jsonl }", "audit.jsonl, durability: strict }")
        .replace("ratelimit: {", "ratelimit: { concurrency: { queue: 5 },"));
    assertThat(ConfigDiff.restartOnly(parse(BASE), next))
        .containsExactly("listener.port", "admin.port", "audit.durability", "ratelimit.concurrency");
  }

  @Test
  void aSectionAppearingOrGoingNeedsARestart() {
    GatewayConfig next = parse(BASE.replace("ratelimit: {", "tls: { trustPemFiles: [ pom.xml ] }\nratelimit: {"));
    assertThat(ConfigDiff.restartOnly(parse(BASE), next)).containsExactly("tls.trustPemFiles");
  }

  private static GatewayConfig parse(String yaml) {
    return new ConfigLoader(Map.<String, String>of()::get).parse("gateway.yaml", yaml);
  }
}
