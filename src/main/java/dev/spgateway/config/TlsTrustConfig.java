package dev.spgateway.config;

import java.util.List;

/**
 * Which servers the gateway trusts on its outgoing calls (Entra ID, Key Vault, upstreams).
 *
 * @param trustPemFiles PEM certificates trusted instead of the JVM's default trust store; empty means
 *     the JVM's defaults (the right choice against real Azure)
 */
public record TlsTrustConfig(List<String> trustPemFiles) {

  public TlsTrustConfig {
    trustPemFiles = trustPemFiles == null ? List.of() : List.copyOf(trustPemFiles);
  }

  public static TlsTrustConfig defaults() {
    return new TlsTrustConfig(null);
  }
}
