package dev.spgateway.credential;

import com.fasterxml.jackson.annotation.JsonCreator;
import java.net.URI;
import java.time.Duration;

/**
 * The {@code keyVault:} section: where the service principals' secrets live and how the gateway signs in to
 * read them.
 *
 * <pre>
 * keyVault:
 *   url: https://contoso-flows.vault.azure.net
 *   credential: default          # or omitted: managed identity, workload identity, environment, Azure CLI
 *   timeout: 10s                 # per request to the vault (optional)
 *   maxRetries: 3                # on throttling, 5xx and network errors (optional)
 *   refresh: 1h                  # how often each secret and certificate is read again, for rotation (optional)
 *   expiryWarning: 30d           # warn this long before a secret or certificate expires (optional)
 *
 * keyVault:
 *   url: https://contoso-flows.vault.azure.net
 *   credential:                  # an app registration of its own, signing in with a client secret
 *     tenant: 72f988bf-0000-0000-0000-2d7cd011db47
 *     clientId: 5e1d0000-0000-0000-0000-0000000000aa
 *     secret: ${VAULT_CLIENT_SECRET}
 * </pre>
 *
 * @param url the vault, {@code https://NAME.vault.azure.net}
 * @param credential how the gateway authenticates to the vault; absent means {@link Credential#DEFAULT}
 * @param timeout how long one request to the vault may take; absent means 10 s
 * @param maxRetries retries after a throttled, failed or unreachable request; absent means 3
 * @param refresh how often every secret is read again, so a rotated one is picked up without a restart; absent
 *     means 1 h
 * @param expiryWarning how long before a secret's or certificate's {@code expires} date the gateway starts warning;
 *     absent means 30 days
 */
public record KeyVaultConfig(URI url, Credential credential, Duration timeout, Integer maxRetries, Duration refresh,
    Duration expiryWarning) {

  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
  public static final int DEFAULT_MAX_RETRIES = 3;
  public static final Duration DEFAULT_REFRESH = Duration.ofHours(1);
  public static final Duration DEFAULT_EXPIRY_WARNING = Duration.ofDays(30);
  /** Reading every secret more often than this would only load the vault (it throttles at ~4,000 reads/10 s). */
  public static final Duration SHORTEST_REFRESH = Duration.ofMinutes(1);
  // The SDK's own default; retries back off exponentially from it.
  private static final Duration FIRST_RETRY_DELAY = Duration.ofMillis(800);

  public KeyVaultConfig {
    if (credential == null) credential = Credential.DEFAULT;
    if (timeout == null) timeout = DEFAULT_TIMEOUT;
    if (maxRetries == null) maxRetries = DEFAULT_MAX_RETRIES;
    if (refresh == null) refresh = DEFAULT_REFRESH;
    if (expiryWarning == null) expiryWarning = DEFAULT_EXPIRY_WARNING;
    if (refresh.compareTo(SHORTEST_REFRESH) < 0) {
      throw new IllegalArgumentException("keyVault.refresh must be at least 1m (it is how often every secret is "
          + "read again), not " + refresh);
    }
    if (expiryWarning.isNegative()) {
      throw new IllegalArgumentException("keyVault.expiryWarning must not be negative; 0s turns the warning off");
    }
    if (url == null) {
      throw new IllegalArgumentException("keyVault.url is required, e.g. https://contoso-flows.vault.azure.net");
    }
    if (!"https".equalsIgnoreCase(url.getScheme())) {
      throw new IllegalArgumentException("keyVault.url must be an https:// URL, not '" + url + "'");
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("keyVault.timeout must be positive");
    }
    if (maxRetries < 0) {
      throw new IllegalArgumentException("keyVault.maxRetries must be 0 or more");
    }
  }

  /** The section without refresh or expiry settings: both take their defaults. */
  public KeyVaultConfig(URI url, Credential credential, Duration timeout, Integer maxRetries) {
    this(url, credential, timeout, maxRetries, null, null);
  }

  /** What {@link KeyVaultClients#secretClient} needs from this section. */
  public KeyVaultClients.Settings clientSettings() {
    return new KeyVaultClients.Settings(timeout, maxRetries, FIRST_RETRY_DELAY);
  }

  /**
   * How the gateway authenticates to Key Vault: either {@code default} (azure-identity's
   * {@code DefaultAzureCredential}, the production path) or a client secret of an app registration.
   */
  public record Credential(String tenant, String clientId, String secret) {

    public static final Credential DEFAULT = new Credential(null, null, null);

    public Credential {
      boolean anySet = tenant != null || clientId != null || secret != null;
      boolean allSet = tenant != null && clientId != null && secret != null;
      if (anySet && !allSet) {
        throw new IllegalArgumentException(
            "keyVault.credential needs all of tenant, clientId and secret, or write 'credential: default'");
      }
    }

    /** Binds the word form, {@code credential: default}. */
    @JsonCreator
    public static Credential named(String name) {
      if (!"default".equals(name)) {
        throw new IllegalArgumentException(
            "keyVault.credential is 'default' or { tenant, clientId, secret }, not '" + name + "'");
      }
      return DEFAULT;
    }

    public boolean usesDefaultAzureCredential() {
      return clientId == null;
    }

    /** Never prints the secret: configs end up in logs and error messages. */
    @Override
    public String toString() {
      return usesDefaultAzureCredential()
          ? "Credential[default]"
          : "Credential[tenant=" + tenant + ", clientId=" + clientId + ", secret=***]";
    }
  }
}
