package dev.spgateway.config;

import dev.spgateway.admin.AdminConfig;
import dev.spgateway.audit.AuditConfig;
import dev.spgateway.credential.EntraConfig;
import dev.spgateway.credential.KeyVaultConfig;
import dev.spgateway.credential.ServicePrincipalConfig;
import dev.spgateway.identity.ApiKeyConfig;
import dev.spgateway.identity.EntraCallerConfig;
import dev.spgateway.identity.IdentityConfig;
import dev.spgateway.listener.ListenerConfig;
import dev.spgateway.logging.LoggingConfig;
import dev.spgateway.policy.RouteConfig;
import dev.spgateway.policy.batch.BatchConfig;
import dev.spgateway.proxy.UpstreamConfig;
import dev.spgateway.ratelimit.CallerLimits;
import dev.spgateway.ratelimit.RateLimitConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Everything the operator asked for, bound from one YAML file by {@link ConfigLoader}. Each section's record
 * belongs to the stage that uses it, with its defaults and checks; a stage is handed only its slice.
 */
public record GatewayConfig(
    ListenerConfig listener,
    AdminConfig admin,
    EntraConfig entra,
    KeyVaultConfig keyVault,
    TlsTrustConfig tls,
    Map<String, ServicePrincipalConfig> servicePrincipals,
    Map<String, UpstreamConfig> upstreams,
    Map<String, CallerConfig> callers,
    IdentityConfig identity,
    AuditConfig audit,
    BatchConfig batch,
    RateLimitConfig ratelimit,
    LoggingConfig logging) {

  public GatewayConfig {
    if (listener == null) listener = ListenerConfig.defaults();
    if (admin == null) admin = AdminConfig.defaults();
    if (entra == null) entra = EntraConfig.defaults();
    if (tls == null) tls = TlsTrustConfig.defaults();
    if (audit == null) audit = AuditConfig.defaults();
    if (batch == null) batch = BatchConfig.defaults();
    if (ratelimit == null) ratelimit = RateLimitConfig.defaults();
    if (identity == null) identity = IdentityConfig.defaults();
    if (logging == null) logging = LoggingConfig.defaults();
    servicePrincipals = servicePrincipals == null ? Map.of() : Map.copyOf(servicePrincipals);
    upstreams = upstreams == null ? Map.of() : Map.copyOf(upstreams);
    callers = callers == null ? Map.of() : Map.copyOf(callers);
  }

  /** identity's slice: each caller's key. */
  public Map<String, ApiKeyConfig> apiKeys() {
    return slice(CallerConfig::apiKey);
  }

  /** identity's slice: each caller's Entra ID identity, for those that have one. */
  public Map<String, EntraCallerConfig> entraCallers() {
    return slice(CallerConfig::entra);
  }

  /** policy's slice: each caller's routes. */
  public Map<String, List<RouteConfig>> routes() {
    return slice(CallerConfig::routes);
  }

  /** ratelimit's slice: the callers that have limits of their own. */
  public Map<String, CallerLimits> callerLimits() {
    return slice(CallerConfig::limits);
  }

  /** The pipeline's slice: the callers whose problem answers carry the operators' detail too. */
  public Set<String> diagnosticCallers() {
    return callers.entrySet().stream().filter(caller -> caller.getValue().diagnostics()).map(Map.Entry::getKey)
        .collect(Collectors.toUnmodifiableSet());
  }

  /** Each service principal's client id, for the audit record. */
  public Map<String, String> clientIds() {
    Map<String, String> ids = new HashMap<>();
    servicePrincipals.forEach((name, sp) -> {
      if (sp != null && sp.clientId() != null) ids.put(name, sp.clientId());
    });
    return Map.copyOf(ids);
  }

  private <T> Map<String, T> slice(Function<CallerConfig, T> part) {
    Map<String, T> slice = new HashMap<>();
    callers.forEach((name, caller) -> {
      T value = caller == null ? null : part.apply(caller);
      if (value != null) slice.put(name, value);
    });
    return Map.copyOf(slice);
  }
}
