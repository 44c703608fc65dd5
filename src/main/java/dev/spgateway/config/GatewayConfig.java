package dev.spgateway.config;

import dev.spgateway.admin.AdminConfig;
import dev.spgateway.audit.AuditConfig;
import dev.spgateway.credential.KeyVaultConfig;
import dev.spgateway.credential.ServicePrincipalConfig;
import dev.spgateway.gateway.ListenerConfig;
import dev.spgateway.policy.batch.BatchConfig;
import dev.spgateway.proxy.UpstreamConfig;
import dev.spgateway.ratelimit.RateLimitConfig;
import java.util.Map;

/** Everything the operator asked for, bound from one YAML file. Built by {@link ConfigLoader}. */
public record GatewayConfig(
    ListenerConfig listener,
    AdminConfig admin,
    EntraConfig entra,
    KeyVaultConfig keyVault,
    TlsTrustConfig tls,
    Map<String, ServicePrincipalConfig> servicePrincipals,
    Map<String, UpstreamConfig> upstreams,
    Map<String, CallerConfig> callers,
    AuditConfig audit,
    BatchConfig batch,
    RateLimitConfig ratelimit) {

  public GatewayConfig {
    if (listener == null) listener = ListenerConfig.defaults();
    if (admin == null) admin = AdminConfig.defaults();
    if (entra == null) entra = EntraConfig.defaults();
    if (tls == null) tls = TlsTrustConfig.defaults();
    if (audit == null) audit = AuditConfig.defaults();
    if (batch == null) batch = BatchConfig.defaults();
    if (ratelimit == null) ratelimit = RateLimitConfig.defaults();
    servicePrincipals = servicePrincipals == null ? Map.of() : Map.copyOf(servicePrincipals);
    upstreams = upstreams == null ? Map.of() : Map.copyOf(upstreams);
    callers = callers == null ? Map.of() : Map.copyOf(callers);
  }
}
