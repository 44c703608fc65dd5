package dev.spgateway.config;

import static dev.spgateway.check.Problems.field;
import static dev.spgateway.check.Problems.index;

import dev.spgateway.audit.AuditReaderConfig;
import dev.spgateway.check.Checks;
import dev.spgateway.check.Problems;
import dev.spgateway.identity.ApiKeyConfig;
import dev.spgateway.policy.PolicyEngine;
import dev.spgateway.policy.RouteConfig;
import dev.spgateway.proxy.UpstreamConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The checks binding cannot do. Each section's record checks its own fields ({@code check(path, problems)} in
 * its stage's package); this class asks each of them, then checks what spans sections: names that must refer
 * to something, keys that must not be shared, ports that must differ.
 */
final class ConfigValidator {

  private final GatewayConfig config;
  private final Problems problems;

  ConfigValidator(GatewayConfig config, Problems problems) {
    this.config = config;
    this.problems = problems;
  }

  void validate() {
    config.listener().check("listener", problems);
    config.admin().check("admin", problems);
    if (config.listener().port() != 0 && config.listener().port().equals(config.admin().port())) {
      problems.add("admin.port", "is the same as listener.port; the admin endpoints need a port of their own");
    }
    config.entra().check("entra", problems);
    trustFiles();
    if (config.keyVault() == null && !config.servicePrincipals().isEmpty()) {
      problems.add("keyVault", "missing; service principal secrets are read from Key Vault: add keyVault: { url: https://NAME.vault.azure.net }");
    }
    config.servicePrincipals().forEach((name, sp) -> {
      String path = field("servicePrincipals", name);
      Checks.name(path, name, problems);
      if (sp == null) problems.add(path, "is empty; give tenant, clientId and secret");
      else sp.check(path, problems);
    });
    if (config.upstreams().isEmpty()) {
      problems.add("upstreams", "no upstream is configured; add one, e.g. graph: { url: https://graph.microsoft.com }");
    }
    config.upstreams().forEach((name, upstream) -> {
      String path = field("upstreams", name);
      Checks.name(path, name, problems);
      if (upstream == null) problems.add(path, "is empty; give at least url");
      else upstream.check(path, problems);
    });
    config.identity().check("identity", problems);
    callers();
    config.ratelimit().check("ratelimit", problems);
    config.ratelimit().servicePrincipals().keySet().forEach(name -> known(field("ratelimit.servicePrincipals", name),
        name, "service principal", config.servicePrincipals().keySet()));
    config.audit().check("audit", problems);
    auditReadersHoldNoCallerKey();
  }

  private void trustFiles() {
    List<String> files = config.tls().trustPemFiles();
    for (int i = 0; i < files.size(); i++) {
      if (!Files.isReadable(Path.of(files.get(i)))) {
        problems.add(index("tls.trustPemFiles", i), "cannot read '" + files.get(i) + "'; give the path of a PEM certificate file");
      }
    }
  }

  private void callers() {
    if (config.callers().isEmpty()) problems.add("callers", "no caller is configured; nobody could use the gateway");
    Map<String, String> ownerOfKey = new HashMap<>();
    Map<String, String> ownerOfEntraId = new HashMap<>();
    config.callers().forEach((name, caller) -> {
      String path = field("callers", name);
      Checks.name(path, name, problems);
      if (caller == null) {
        problems.add(path, "is empty; give apiKey (or entra) and routes");
        return;
      }
      if (caller.entra() != null) entraCaller(path, name, caller, ownerOfEntraId);
      if ((caller.entra() == null || caller.apiKey() != null)
          && ApiKeyConfig.check(field(path, "apiKey"), caller.apiKey(), problems)) {
        String other = ownerOfKey.putIfAbsent(caller.apiKey().normalized(), name);
        if (other != null) {
          problems.add(field(path, "apiKey"), "is the same key as caller '" + other + "'; give each caller its own key");
        }
      }
      if (caller.routes().isEmpty()) problems.add(field(path, "routes"), "is empty; a caller without routes can do nothing");
      for (int i = 0; i < caller.routes().size(); i++) route(index(field(path, "routes"), i), caller.routes().get(i));
      if (caller.limits() != null) caller.limits().check(field(path, "limits"), problems);
    });
  }

  /**
   * A caller's Entra ID identity: checked by its record; identity.entra must accept tokens at all; and no two
   * callers may claim the same identity (an object id, or an app id given without an object id).
   */
  private void entraCaller(String path, String name, CallerConfig caller, Map<String, String> ownerOfEntraId) {
    String entraPath = field(path, "entra");
    caller.entra().check(entraPath, problems);
    if (config.identity().entra() == null) {
      problems.add(entraPath, "Entra ID tokens are not accepted: add identity: { entra: { tenants: [TENANT-ID],"
          + " audiences: [api://sp-gateway, GATEWAY-CLIENT-ID] } }");
    }
    String id = caller.entra().objectId() != null ? "objectId " + caller.entra().objectId().toLowerCase(java.util.Locale.ROOT)
        : caller.entra().appId() != null ? "appId " + caller.entra().appId().toLowerCase(java.util.Locale.ROOT) : null;
    if (id == null) return;
    String other = ownerOfEntraId.putIfAbsent(id, name);
    if (other != null) {
      problems.add(entraPath, "names the same identity (" + id + ") as caller '" + other
          + "'; a token must name one caller: give each its own, or tell them apart with objectId");
    }
  }

  private void route(String path, RouteConfig route) {
    if (route == null) {
      problems.add(path, "is empty; give upstream, as and allow (or entitySets)");
      return;
    }
    known(field(path, "upstream"), route.upstream(), "upstream", config.upstreams().keySet());
    known(field(path, "as"), route.as(), "service principal", config.servicePrincipals().keySet());
    UpstreamConfig upstream = route.upstream() == null ? null : config.upstreams().get(route.upstream());
    PolicyEngine.check(route, upstream == null ? null : upstream.kind(), (where, message) -> problems.add(field(path, where), message));
  }

  /** An audit reader's key must be its own: reading the log is not something a caller's key should do. */
  private void auditReadersHoldNoCallerKey() {
    Set<String> callerKeys = new java.util.HashSet<>();
    config.apiKeys().values().forEach(key -> {
      if (key.sha256() != null) callerKeys.add(key.normalized());
    });
    List<AuditReaderConfig> readers = config.audit().readers();
    for (int i = 0; i < readers.size(); i++) {
      AuditReaderConfig reader = readers.get(i);
      if (reader != null && reader.apiKey() != null && reader.apiKey().sha256() != null
          && callerKeys.contains(reader.apiKey().normalized())) {
        problems.add(field(index("audit.readers", i), "apiKey"),
            "is a caller's key; give the audit reader a key of its own (`sp-gateway hash-key`)");
      }
    }
  }

  private void known(String path, String value, String what, Set<String> names) {
    if (value == null) {
      problems.add(path, "missing; name one of the configured " + what + "s: " + String.join(", ", new TreeSet<>(names)));
    } else if (!names.contains(value)) {
      problems.add(path, "unknown " + what + " '" + value + "'; known: " + String.join(", ", new TreeSet<>(names)));
    }
  }
}
