package dev.spgateway.credential;

import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.exception.ClientAuthenticationException;
import com.azure.core.http.policy.ExponentialBackoff;
import com.azure.core.http.policy.ExponentialBackoffOptions;
import com.azure.core.http.policy.RequestRetryCondition;
import com.azure.core.http.policy.HttpLogDetailLevel;
import com.azure.core.http.policy.HttpLogOptions;
import com.azure.core.http.policy.RetryOptions;
import com.azure.security.keyvault.secrets.SecretAsyncClient;
import com.azure.security.keyvault.secrets.SecretClientBuilder;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Predicate;
import javax.net.ssl.SSLContext;

/** Builds the official Key Vault secrets client the way the gateway needs it. */
public final class KeyVaultClients {

  // Key Vault's DNS suffixes in Azure's clouds; for these the SDK's check that the challenge's resource
  // matches the vault's domain stays on (it keeps a look-alike host from collecting vault tokens).
  private static final List<String> KEY_VAULT_DOMAINS = List.of(
      ".vault.azure.net", ".vault.azure.cn", ".vault.usgovcloudapi.net", ".vault.microsoftazure.de");
  private static final Duration LONGEST_RETRY_DELAY = Duration.ofSeconds(30);

  private KeyVaultClients() {}

  /**
   * How patient the client is.
   *
   * @param timeout per request: to connect, and to get the response
   * @param maxRetries retries after throttling, 5xx or a network error (0 = none)
   * @param firstRetryDelay the first back-off; later ones grow exponentially
   */
  public record Settings(Duration timeout, int maxRetries, Duration firstRetryDelay) {
    public Settings {
      if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout must be positive");
      if (maxRetries < 0) throw new IllegalArgumentException("maxRetries must be 0 or more");
      if (firstRetryDelay.isNegative() || firstRetryDelay.isZero()) {
        throw new IllegalArgumentException("firstRetryDelay must be positive");
      }
    }
  }

  /**
   * An async secrets client on the JDK HTTP client (no reactor-netty next to Vert.x's Netty). Its futures
   * complete on the JDK client's threads, never on an event loop: bridge them with
   * {@code Future.fromCompletionStage(stage, context)}.
   *
   * @param trust the only certificates to trust for the vault's TLS; empty means the JVM's defaults
   */
  public static SecretAsyncClient secretClient(
      URI vaultUrl, TokenCredential credential, Optional<SSLContext> trust, Settings settings) {
    java.net.http.HttpClient.Builder jdkClient = java.net.http.HttpClient.newBuilder();
    trust.ifPresent(jdkClient::sslContext);
    HttpClient httpClient = new JdkHttpClientBuilder(jdkClient)
        .connectionTimeout(settings.timeout())
        .responseTimeout(settings.timeout())
        .readTimeout(settings.timeout())
        .build();
    ExponentialBackoffOptions backoff = new ExponentialBackoffOptions()
        .setMaxRetries(settings.maxRetries())
        .setBaseDelay(settings.firstRetryDelay())
        .setMaxDelay(max(settings.firstRetryDelay(), LONGEST_RETRY_DELAY));
    SecretClientBuilder builder = new SecretClientBuilder()
        .vaultUrl(vaultUrl.toString())
        .credential(credential)
        .httpClient(httpClient)
        .retryOptions(new RetryOptions(backoff).setShouldRetryCondition(retryUnlessRefused(backoff)))
        // Explicit, so AZURE_HTTP_LOG_DETAIL_LEVEL=body in the environment cannot log secret values.
        .httpLogOptions(new HttpLogOptions().setLogLevel(HttpLogDetailLevel.NONE));
    if (!isAzureKeyVaultHost(vaultUrl)) {
      // A sandbox or private endpoint at another name: its challenge still names https://vault.azure.net.
      builder.disableChallengeResourceVerification();
    }
    return builder.buildAsyncClient();
  }

  /**
   * The SDK's own retry rule, except that a vault token Entra ID refused (a wrong secret for the gateway's identity)
   * is not asked for again: retrying cannot fix it, and it multiplied the start's failure lines.
   */
  private static Predicate<RequestRetryCondition> retryUnlessRefused(ExponentialBackoffOptions backoff) {
    ExponentialBackoff sdkRule = new ExponentialBackoff(backoff);
    return condition -> !refusedCredential(condition.getThrowable()) && sdkRule.shouldRetryCondition(condition);
  }

  private static boolean refusedCredential(Throwable error) {
    boolean authentication = false;
    for (Throwable current = error; current != null && current.getCause() != current; current = current.getCause()) {
      if (current instanceof TokenException token) return !token.retryable();
      if (current instanceof ClientAuthenticationException) authentication = true;
    }
    return authentication;
  }

  static boolean isAzureKeyVaultHost(URI vaultUrl) {
    String host = vaultUrl.getHost() == null ? "" : vaultUrl.getHost().toLowerCase(Locale.ROOT);
    return KEY_VAULT_DOMAINS.stream().anyMatch(host::endsWith);
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }
}
