package dev.spgateway.gateway;

import dev.spgateway.audit.AuditApi;
import dev.spgateway.config.GatewayConfig;
import dev.spgateway.identity.ApiKeyAuthenticator;
import dev.spgateway.identity.EntraAuthenticator;
import dev.spgateway.identity.EntraSigningKeys;
import dev.spgateway.policy.PolicyEngine;
import dev.spgateway.policy.RoutePolicy;
import dev.spgateway.policy.batch.BatchJudge;
import dev.spgateway.proxy.Upstreams;
import dev.spgateway.ratelimit.Budgets;
import dev.spgateway.ratelimit.RateLimiter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One generation of the config: every part a request reads from it, built together and never changed. The
 * pipeline reads the current generation once per request and keeps it on the {@link Exchange}, so a reload
 * swaps all of it between two requests and a request under way finishes under the config it started with.
 * What outlives a reload (token cache, budgets spent, audit writer, concurrency slots, HTTP clients) is not here.
 */
record Generation(
    ApiKeyAuthenticator authenticator,
    EntraAuthenticator entra,
    RoutePolicy policy,
    BatchJudge batches,
    Upstreams upstreams,
    Budgets budgets,
    AuditApi.Readers auditReaders,
    RequestJudge judge,
    RequestMetrics metrics,
    Set<String> diagnosticCallers) {

  /**
   * Builds every part from its slice of {@code config}: compiles the routes and registers the request meters of
   * its callers and upstreams, so run it off the event loop. {@code entraKeys}: the accepted tenants' signing keys,
   * which outlive generations; null when no identity.entra.
   */
  static Generation of(GatewayConfig config, EntraSigningKeys entraKeys, MeterRegistry registry) {
    RoutePolicy policy = new PolicyEngine(config.routes(), config.upstreams());
    BatchJudge batches = new BatchJudge(policy, config.batch(), config.upstreams());
    return new Generation(
        new ApiKeyAuthenticator(config.apiKeys()),
        entraKeys == null ? null : new EntraAuthenticator(entraKeys, config.entra().authority(),
            config.identity().entra(), config.entraCallers(), entraKeys.clock()),
        policy,
        batches,
        new Upstreams(config.upstreams()),
        RateLimiter.budgets(config.callerLimits(), config.ratelimit().servicePrincipals()),
        new AuditApi.Readers(config.audit().readers()),
        new RequestJudge(policy, batches),
        requestMetrics(config, registry),
        config.diagnosticCallers());
  }

  /**
   * Request meters for every caller and the upstreams its routes name, and throttling meters per route, at 0.
   * Meters of callers a reload removes stay registered (with their counts), as Prometheus expects of counters.
   */
  private static RequestMetrics requestMetrics(GatewayConfig config, MeterRegistry registry) {
    Map<String, Set<String>> upstreamsByCaller = new HashMap<>();
    Set<List<String>> servicePrincipalAndUpstream = new HashSet<>();
    config.callers().keySet().forEach(caller -> upstreamsByCaller.put(caller, new HashSet<>()));
    config.routes().forEach((caller, routes) -> routes.forEach(route -> {
      upstreamsByCaller.get(caller).add(route.upstream());
      servicePrincipalAndUpstream.add(List.of(route.as(), route.upstream()));
    }));
    RateLimiter.registerMeters(registry, servicePrincipalAndUpstream);
    return new RequestMetrics(registry, upstreamsByCaller, config.upstreams().keySet());
  }
}
