package dev.spgateway.identity;

import dev.spgateway.check.Problems;

/**
 * The {@code identity} section: how callers may prove who they are besides an API key.
 *
 * @param entra accepting Entra ID access tokens; null: callers can only use API keys
 */
public record IdentityConfig(EntraTokenConfig entra) {

  public static IdentityConfig defaults() {
    return new IdentityConfig(null);
  }

  public void check(String path, Problems problems) {
    if (entra != null) entra.check(Problems.field(path, "entra"), problems);
  }
}
