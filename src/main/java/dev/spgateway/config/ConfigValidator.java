package dev.spgateway.config;

import static dev.spgateway.config.ConfigPaths.field;
import static dev.spgateway.config.ConfigPaths.index;

import dev.spgateway.audit.AuditConfig;
import dev.spgateway.audit.AuditLines;
import dev.spgateway.audit.AuditReaderConfig;
import dev.spgateway.config.ConfigException.ConfigProblem;
import dev.spgateway.credential.ServicePrincipalConfig;
import dev.spgateway.policy.RouteConfig;
import dev.spgateway.policy.PolicyEngine;
import dev.spgateway.proxy.UpstreamConfig;
import dev.spgateway.ratelimit.CallerLimits;
import dev.spgateway.ratelimit.RateLimitConfig;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;

/** The checks binding cannot do: required fields, URLs, names that must refer to something. */
final class ConfigValidator {

  private static final Pattern GUID =
      Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  private static final Pattern TENANT_DOMAIN = Pattern.compile("[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+");
  private static final Pattern SECRET_NAME = Pattern.compile("[0-9A-Za-z-]{1,127}");
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-fA-F]{64}");

  private final GatewayConfig config;
  private final List<ConfigProblem> problems;

  ConfigValidator(GatewayConfig config, List<ConfigProblem> problems) {
    this.config = config;
    this.problems = problems;
  }

  void validate() {
    ports();
    url("entra.authority", config.entra().authority(), "https://login.microsoftonline.com");
    trustFiles();
    keyVault();
    config.servicePrincipals().forEach((name, sp) -> servicePrincipal(field("servicePrincipals", name), name, sp));
    if (config.upstreams().isEmpty()) {
      add("upstreams", "no upstream is configured; add one, e.g. graph: { url: https://graph.microsoft.com }");
    }
    config.upstreams().forEach((name, upstream) -> upstream(field("upstreams", name), name, upstream));
    callers();
    rateLimits();
    audit();
  }

  private void ports() {
    port("listener.port", config.listener().port());
    port("admin.port", config.admin().port());
    if (config.listener().port() != 0 && config.listener().port().equals(config.admin().port())) {
      add("admin.port", "is the same as listener.port; the admin endpoints need a port of their own");
    }
  }

  private void port(String path, int port) {
    if (port < 0 || port > 65535) add(path, port + " is not a port; use 1-65535 (0 lets the system choose)");
  }

  private void trustFiles() {
    List<String> files = config.tls().trustPemFiles();
    for (int i = 0; i < files.size(); i++) {
      if (!Files.isReadable(Path.of(files.get(i)))) {
        add(index("tls.trustPemFiles", i), "cannot read '" + files.get(i) + "'; give the path of a PEM certificate file");
      }
    }
  }

  /** The section's own fields are checked by {@link dev.spgateway.credential.KeyVaultConfig} itself. */
  private void keyVault() {
    if (config.keyVault() == null && !config.servicePrincipals().isEmpty()) {
      add("keyVault", "missing; service principal secrets are read from Key Vault: add keyVault: { url: https://NAME.vault.azure.net }");
    }
  }

  private void servicePrincipal(String path, String name, ServicePrincipalConfig sp) {
    name(path, name);
    if (sp == null) {
      add(path, "is empty; give tenant, clientId and secret");
      return;
    }
    if (sp.tenant() == null) {
      add(field(path, "tenant"), "missing; give the directory (tenant) id of the app registration");
    } else if (!GUID.matcher(sp.tenant()).matches() && !TENANT_DOMAIN.matcher(sp.tenant()).matches()) {
      add(field(path, "tenant"), "'" + sp.tenant() + "' is neither a tenant id (GUID) nor a domain such as contoso.onmicrosoft.com");
    }
    if (sp.clientId() == null) {
      add(field(path, "clientId"), "missing; give the application (client) id of the app registration");
    } else if (!GUID.matcher(sp.clientId()).matches()) {
      add(field(path, "clientId"), "'" + sp.clientId() + "' is not a GUID; copy the application (client) id from the app registration");
    }
    if (sp.secret() == null || sp.secret().keyVault() == null) {
      add(field(path, "secret"), "missing; name the Key Vault secret holding the client secret: secret: { keyVault: NAME }");
    } else if (!SECRET_NAME.matcher(sp.secret().keyVault()).matches()) {
      add(field(field(path, "secret"), "keyVault"), "'" + sp.secret().keyVault()
          + "' is not a Key Vault secret name (1-127 letters, digits and dashes)");
    }
  }

  private void upstream(String path, String name, UpstreamConfig upstream) {
    name(path, name);
    if (upstream == null) {
      add(path, "is empty; give at least url");
      return;
    }
    if (upstream.url() == null) {
      add(field(path, "url"), "missing; e.g. https://graph.microsoft.com or https://contoso.crm.dynamics.com");
      return;
    }
    url(field(path, "url"), upstream.url(), "https://graph.microsoft.com");
    if (upstream.url().getRawQuery() != null || upstream.url().getRawFragment() != null) {
      add(field(path, "url"), "must not have a query or fragment");
    }
    if (upstream.kind() == null) {
      add(field(path, "kind"), "missing; write kind: graph or kind: dataverse");
    }
    if (upstream.timeout().isZero() || upstream.connectTimeout().isZero()) {
      add(path, "timeouts must be longer than zero");
    }
  }

  private void callers() {
    if (config.callers().isEmpty()) add("callers", "no caller is configured; nobody could use the gateway");
    Map<String, String> ownerOfKey = new HashMap<>();
    config.callers().forEach((name, caller) -> {
      String path = field("callers", name);
      name(path, name);
      if (caller == null) {
        add(path, "is empty; give apiKey and routes");
        return;
      }
      if (caller.apiKey() == null || caller.apiKey().sha256() == null) {
        add(field(path, "apiKey"), "missing; run `sp-gateway hash-key` and paste the apiKey line it prints");
      } else if (!SHA256_HEX.matcher(caller.apiKey().sha256()).matches()) {
        add(field(field(path, "apiKey"), "sha256"), "is not 64 hex digits; run `sp-gateway hash-key` to make a key and its hash");
      } else {
        String other = ownerOfKey.putIfAbsent(caller.apiKey().sha256().toLowerCase(java.util.Locale.ROOT), name);
        if (other != null) add(field(path, "apiKey"), "is the same key as caller '" + other + "'; give each caller its own key");
      }
      if (caller.routes().isEmpty()) add(field(path, "routes"), "is empty; a caller without routes can do nothing");
      for (int i = 0; i < caller.routes().size(); i++) route(index(field(path, "routes"), i), caller.routes().get(i));
    });
  }

  /** The {@code ratelimit} section and every caller's {@code limits}. */
  private void rateLimits() {
    RateLimitConfig limits = config.ratelimit();
    if (limits.store() == RateLimitConfig.StoreKind.redis) {
      RateLimitConfig.Redis redis = limits.redis();
      if (redis == null || redis.url() == null) {
        add("ratelimit.redis.url", "missing; store: redis needs one, e.g. redis: { url: \"redis://127.0.0.1:6379\" }");
      } else {
        String scheme = redis.url().getScheme();
        if (!"redis".equals(scheme) && !"rediss".equals(scheme) || redis.url().getHost() == null) {
          add("ratelimit.redis.url", "is not a Redis URL; write redis://HOST:6379 (or rediss:// for TLS)");
        }
        if (redis.timeout().isZero() || redis.timeout().isNegative()) {
          add("ratelimit.redis.timeout", "must be longer than zero; 50ms suits a Redis in the same data centre");
        }
      }
    }
    limits.servicePrincipals().forEach((name, budget) -> {
      String path = field("ratelimit.servicePrincipals", name);
      known(path, name, "service principal", config.servicePrincipals().keySet());
      if (budget == null || budget.perDay() == null || budget.perDay() < 1) {
        add(field(path, "perDay"), "give the requests per 24 hours as a whole number of at least 1; "
            + "Power Platform's figure for service-principal flows is 25000");
      }
    });
    RateLimitConfig.Concurrency concurrency = limits.concurrency();
    if (concurrency.perServicePrincipalAndEnvironment() < 1) {
      add("ratelimit.concurrency.perServicePrincipalAndEnvironment", "must be at least 1; Dataverse allows 52");
    }
    if (concurrency.queue() < 0) add("ratelimit.concurrency.queue", "must be 0 (no queue) or more");
    config.callers().forEach((name, caller) -> {
      if (caller != null && caller.limits() != null) callerLimits(field(field("callers", name), "limits"), caller.limits());
    });
  }

  private void callerLimits(String path, CallerLimits limits) {
    if (limits.perSecond() == null && limits.perDay() == null) {
      add(path, "is empty; give perSecond (with an optional burst), perDay, or both");
    }
    if (limits.perSecond() != null && !(limits.perSecond() > 0)) {
      add(field(path, "perSecond"), "must be more than 0 (0.5 is one request every 2 s)");
    }
    if (limits.burst() != null && limits.perSecond() == null) {
      add(field(path, "burst"), "needs perSecond: a burst is how far above the sustained rate a caller may go");
    } else if (limits.burst() != null && limits.burst() < 1) {
      add(field(path, "burst"), "must be at least 1");
    }
    if (limits.perDay() != null && limits.perDay() < 1) add(field(path, "perDay"), "must be at least 1");
  }

  private void route(String path, RouteConfig route) {
    if (route == null) {
      add(path, "is empty; give upstream, as and allow (or entitySets)");
      return;
    }
    known(field(path, "upstream"), route.upstream(), "upstream", config.upstreams().keySet());
    known(field(path, "as"), route.as(), "service principal", config.servicePrincipals().keySet());
    UpstreamConfig upstream = route.upstream() == null ? null : config.upstreams().get(route.upstream());
    PolicyEngine.check(route, upstream == null ? null : upstream.kind(), (where, message) -> add(field(path, where), message));
  }

  /** The audit section: sizes and intervals in range, no secret-looking query values, readers' own keys. */
  private void audit() {
    AuditConfig audit = config.audit();
    if (audit.file().isBlank() || audit.file().equals("-")) {
      add("audit.file", "give the path of the audit log file, e.g. /var/lib/sp-gateway/audit/audit.jsonl "
          + "(it is rotated, synced and verified, so standard output cannot be used)");
    } else {
      Path parent = Path.of(audit.file()).toAbsolutePath().getParent();
      if (Files.exists(parent) && !Files.isWritable(parent)) {
        add("audit.file", "the directory " + parent + " is not writable; give the gateway write access or another path");
      }
    }
    if (audit.flushInterval().isZero() || audit.flushInterval().compareTo(java.time.Duration.ofSeconds(1)) > 0) {
      add("audit.flushInterval", "must be between 1ms and 1s (default 100ms): records wait in memory this long at most");
    }
    if (audit.maxFileMegabytes() < 1 || audit.maxFileMegabytes() > 1024) {
      add("audit.maxFileMegabytes", audit.maxFileMegabytes() + " is out of range; use 1-1024 (default 100)");
    }
    if (audit.queueSize() < 1) add("audit.queueSize", "must be at least 1 (default 65536)");
    AuditConfig.Retention retention = audit.retention();
    if (retention.maxAge() != null && retention.maxAge().compareTo(java.time.Duration.ofHours(1)) < 0) {
      add("audit.retention.maxAge", "is shorter than 1h; write e.g. 90d, or leave it out to keep files forever");
    }
    if (retention.maxFiles() != null && retention.maxFiles() < 1) {
      add("audit.retention.maxFiles", "must be at least 1, or left out to keep every file");
    }
    for (int i = 0; i < audit.queryValues().size(); i++) {
      String name = audit.queryValues().get(i);
      if (name == null || name.isBlank()) {
        add(index("audit.queryValues", i), "is empty; name a query option such as $top");
      } else if (AuditLines.isSecretLooking(name)) {
        add(index("audit.queryValues", i), "'" + name + "' looks like it carries a secret, and its value is never "
            + "recorded; remove it");
      }
    }
    auditReaders(audit.readers());
  }

  private void auditReaders(List<AuditReaderConfig> readers) {
    java.util.Set<String> callerKeys = new java.util.HashSet<>();
    config.callers().values().forEach(caller -> {
      if (caller != null && caller.apiKey() != null && caller.apiKey().sha256() != null) {
        callerKeys.add(caller.apiKey().sha256().toLowerCase(java.util.Locale.ROOT));
      }
    });
    for (int i = 0; i < readers.size(); i++) {
      String path = index("audit.readers", i);
      AuditReaderConfig reader = readers.get(i);
      if (reader == null || reader.name() == null) {
        add(path, "give name and apiKey, e.g. { name: ops, apiKey: { sha256: ... } }");
        continue;
      }
      if (reader.apiKey() == null || reader.apiKey().sha256() == null
          || !SHA256_HEX.matcher(reader.apiKey().sha256()).matches()) {
        add(field(path, "apiKey"), "missing or not 64 hex digits; run `sp-gateway hash-key` and paste the apiKey line");
      } else if (callerKeys.contains(reader.apiKey().sha256().toLowerCase(java.util.Locale.ROOT))) {
        add(field(path, "apiKey"), "is a caller's key; give the audit reader a key of its own (`sp-gateway hash-key`)");
      }
    }
  }

  private void known(String path, String value, String what, java.util.Set<String> names) {
    if (value == null) {
      add(path, "missing; name one of the configured " + what + "s: " + String.join(", ", new TreeSet<>(names)));
    } else if (!names.contains(value)) {
      add(path, "unknown " + what + " '" + value + "'; known: " + String.join(", ", new TreeSet<>(names)));
    }
  }

  private void name(String path, String name) {
    if (!NAME.matcher(name).matches()) {
      add(path, "the name '" + name + "' must be lower-case letters, digits and dashes (it appears in URLs and metrics)");
    }
  }

  /** https://, or http:// to this machine only (local stand-ins): a token must never cross a network in clear. */
  private void url(String path, URI url, String example) {
    if (url.getHost() == null || url.getScheme() == null) {
      add(path, "'" + url + "' is not an absolute URL; e.g. " + example);
    } else if ("http".equals(url.getScheme())) {
      if (!isLoopback(url.getHost())) add(path, "'" + url + "' uses http:// to another machine; use https://");
    } else if (!"https".equals(url.getScheme())) {
      add(path, "'" + url + "' must use https://");
    }
  }

  private static boolean isLoopback(String host) {
    if (host.equals("localhost")) return true;
    // Only literal addresses: a name could resolve elsewhere.
    if (!host.matches("[0-9.]+|\\[[0-9a-fA-F:]+]")) return false;
    try {
      return InetAddress.getByName(host.replace("[", "").replace("]", "")).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  private void add(String path, String message) {
    problems.add(new ConfigProblem(path, message));
  }
}
