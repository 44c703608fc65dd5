package dev.spgateway.config;

import dev.spgateway.identity.ApiKeyConfig;
import dev.spgateway.policy.RouteConfig;
import java.util.List;

/** A flow or script that calls the gateway: how it proves who it is, and what it may do. */
public record CallerConfig(ApiKeyConfig apiKey, List<RouteConfig> routes) {

  public CallerConfig {
    routes = routes == null ? List.of() : List.copyOf(routes);
  }
}
