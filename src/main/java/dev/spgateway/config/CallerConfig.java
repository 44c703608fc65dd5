package dev.spgateway.config;

import dev.spgateway.identity.ApiKeyConfig;
import dev.spgateway.policy.RouteConfig;
import dev.spgateway.ratelimit.CallerLimits;
import java.util.List;

/**
 * A flow or script that calls the gateway: how it proves who it is ({@code identity}), what it may do
 * ({@code policy}), and how much ({@code ratelimit}, optional). Its parts are handed to those stages
 * separately; see {@link GatewayConfig#apiKeys()}, {@link GatewayConfig#routes()}, {@link GatewayConfig#callerLimits()}.
 */
public record CallerConfig(ApiKeyConfig apiKey, List<RouteConfig> routes, CallerLimits limits) {

  public CallerConfig {
    routes = routes == null ? List.of() : List.copyOf(routes);
  }

  /** A caller without limits of its own. */
  public CallerConfig(ApiKeyConfig apiKey, List<RouteConfig> routes) {
    this(apiKey, routes, null);
  }
}
