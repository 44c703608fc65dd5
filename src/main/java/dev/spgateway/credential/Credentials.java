package dev.spgateway.credential;

import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import java.net.URI;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Each service principal's credential, built from the {@code servicePrincipals} slice of the config. Secrets and
 * certificates must already be in the {@link SecretStore} ({@link KeyVaultSecrets#ensure} reads a new principal's
 * before its credential is built, so a config reload can build these before it swaps them in).
 */
public final class Credentials {

  private final Map<String, ServicePrincipalConfig> principals;
  private final Map<String, ServicePrincipalCredential> byName;

  private Credentials(Map<String, ServicePrincipalConfig> principals, Map<String, ServicePrincipalCredential> byName) {
    this.principals = Map.copyOf(principals);
    this.byName = Map.copyOf(byName);
  }

  /**
   * @param authority the Entra ID authority tokens come from
   * @param secrets where Key Vault secrets and certificates are held (may be empty when no principal needs one)
   * @param clock signs client assertions and dates tokens
   */
  public static Credentials create(Vertx vertx, WebClient webClient, URI authority,
      Map<String, ServicePrincipalConfig> principals, SecretStore secrets, Clock clock) {
    TokenClient client = new TokenClient(webClient, authority, clock);
    Map<String, ServicePrincipalCredential> byName = new HashMap<>();
    principals.forEach((name, principal) -> byName.put(name, switch (principal.kind()) {
      case SECRET -> new KeyVaultCredential.Secret(name, principal, secrets, client);
      case CERTIFICATE -> new CertificateCredential(vertx, name, principal, secrets, client, clock);
      case FEDERATED -> new FederatedCredential(vertx, name, principal, client);
      case MANAGED_IDENTITY -> new ManagedIdentityCredential(name, principal, client);
    }));
    return new Credentials(principals, byName);
  }

  /**
   * These credentials, except that principals whose config is unchanged keep their credential from
   * {@code previous}: with it, the secret version that last produced a token (a reload must not go back to
   * trying a version Entra ID refused).
   */
  public Credentials keepingUnchanged(Credentials previous) {
    if (previous == null) return this;
    Map<String, ServicePrincipalCredential> merged = new HashMap<>(byName);
    Map<String, ServicePrincipalConfig> configs = new HashMap<>(principals);
    byName.keySet().forEach(name -> {
      if (sameAs(previous, name)) merged.put(name, previous.byName.get(name));
    });
    // A principal removed by a reload stays known, so requests still under way with the old config finish.
    previous.byName.forEach((name, credential) -> {
      if (!merged.containsKey(name)) {
        merged.put(name, credential);
        configs.put(name, previous.principals.get(name));
      }
    });
    return new Credentials(configs, merged);
  }

  /** The Key Vault secrets the principals need read before their credentials can work. */
  public static Set<String> keyVaultSecrets(Map<String, ServicePrincipalConfig> principals) {
    Set<String> names = new TreeSet<>();
    principals.values().forEach(principal -> principal.keyVaultSecret().ifPresent(names::add));
    return names;
  }

  Optional<ServicePrincipalCredential> get(String servicePrincipal) {
    return Optional.ofNullable(byName.get(servicePrincipal));
  }

  ServicePrincipalConfig principal(String servicePrincipal) {
    return principals.get(servicePrincipal);
  }

  public Set<String> names() {
    return new TreeSet<>(byName.keySet());
  }

  /** Same principal, same config: a reload keeps its cached tokens. */
  boolean sameAs(Credentials other, String servicePrincipal) {
    return other != null && java.util.Objects.equals(principals.get(servicePrincipal),
        other.principals.get(servicePrincipal));
  }
}
