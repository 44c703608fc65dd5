package dev.spgateway.config;

import dev.spgateway.identity.ApiKeyConfig;
import dev.spgateway.identity.EntraCallerConfig;
import dev.spgateway.policy.RouteConfig;
import dev.spgateway.ratelimit.CallerLimits;
import java.util.List;

/**
 * A flow or script that calls the gateway: how it proves who it is ({@code identity}: an API key, an Entra ID
 * identity, or both), what it may do ({@code policy}), and how much ({@code ratelimit}, optional). Its parts are
 * handed to those stages separately; see {@link GatewayConfig#apiKeys()}, {@link GatewayConfig#entraCallers()},
 * {@link GatewayConfig#routes()}, {@link GatewayConfig#callerLimits()}, {@link GatewayConfig#diagnosticCallers()}.
 *
 * @param diagnostics when true, this caller's problem answers also carry what the operators see ({@code
 *     operatorDetail}: which service principal, Entra ID's AADSTS code and trace id); for a trusted caller, such as
 *     the operators' own scripts. Default false: callers are told what they can act on, and the request id.
 */
public record CallerConfig(ApiKeyConfig apiKey, EntraCallerConfig entra, List<RouteConfig> routes, CallerLimits limits,
    Boolean diagnostics) {

  public CallerConfig {
    routes = routes == null ? List.of() : List.copyOf(routes);
    diagnostics = Boolean.TRUE.equals(diagnostics);
  }

  /** A caller with an API key only. */
  public CallerConfig(ApiKeyConfig apiKey, List<RouteConfig> routes, CallerLimits limits) {
    this(apiKey, null, routes, limits, false);
  }

  /** A caller without limits of its own. */
  public CallerConfig(ApiKeyConfig apiKey, List<RouteConfig> routes) {
    this(apiKey, routes, null);
  }
}
