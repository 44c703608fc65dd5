package dev.spgateway.credential;

import com.azure.core.exception.ClientAuthenticationException;
import com.azure.core.exception.HttpResponseException;
import com.azure.core.exception.ResourceNotFoundException;
import com.azure.security.keyvault.secrets.SecretAsyncClient;
import com.azure.security.keyvault.secrets.models.KeyVaultSecret;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import javax.net.ssl.SSLException;

/** The service principals' secrets, read from Key Vault once at start and then held in memory. */
public final class KeyVaultSecrets implements SecretStore {

  /** Counter of reads, tagged {@code secret} and {@code outcome}. */
  public static final String READS_METER = "gateway.keyvault.reads";

  /** How one read went; the tag value of {@link #READS_METER}'s {@code outcome}. */
  public enum ReadOutcome {
    SUCCESS, NOT_FOUND, FORBIDDEN, UNAUTHORIZED, UNREACHABLE, ERROR;

    public String tag() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final Map<String, String> values;

  private KeyVaultSecrets(Map<String, String> values) {
    this.values = Map.copyOf(values);
  }

  /**
   * Reads every named secret once, all in parallel, and completes on the caller's context (or a new one when
   * called off Vert.x). Fails with {@link SecretLoadException} listing every secret that could not be read.
   *
   * @param vaultUrl the client's vault, as the operator wrote it, for messages
   */
  public static Future<KeyVaultSecrets> load(Vertx vertx, SecretAsyncClient client, String vaultUrl,
      Collection<String> secretNames, MeterRegistry registry) {
    Context context = vertx.getOrCreateContext();
    // Every outcome present at 0, so an alert on failures sees the first one.
    for (String name : new LinkedHashSet<>(secretNames)) {
      for (ReadOutcome outcome : ReadOutcome.values()) reads(registry, name, outcome);
    }
    List<Future<Read>> reads = new LinkedHashSet<>(secretNames).stream()
        .map(name -> read(context, client, vaultUrl, name, registry))
        .toList();
    return Future.all(reads).compose(done -> {
      Map<String, String> values = new LinkedHashMap<>();
      List<SecretLoadException.Failure> failures = new ArrayList<>();
      for (Future<Read> read : reads) {
        Read result = read.result();
        if (result.failure() == null) {
          values.put(result.name(), result.value());
        } else {
          failures.add(result.failure());
        }
      }
      return failures.isEmpty()
          ? Future.succeededFuture(new KeyVaultSecrets(values))
          : Future.failedFuture(new SecretLoadException(vaultUrl, failures));
    });
  }

  @Override
  public String secret(String name) {
    String value = values.get(name);
    if (value == null) {
      throw new IllegalStateException("secret '" + name + "' was not loaded from Key Vault at start: "
          + "the configuration must name it so the gateway reads it");
    }
    return value;
  }

  /** The names of the secrets held. */
  public Set<String> names() {
    return values.keySet();
  }

  @Override
  public String toString() {
    return "KeyVaultSecrets" + values.keySet();
  }

  private static Future<Read> read(
      Context context, SecretAsyncClient client, String vaultUrl, String name, MeterRegistry registry) {
    // Subscribing runs the SDK's pipeline up to the send (first use loads and initialises a lot of classes),
    // so it happens on a worker; the answer arrives on the JDK HTTP client's threads and is handed back to
    // the caller's context.
    return context.<CompletableFuture<KeyVaultSecret>>executeBlocking(() -> client.getSecret(name).toFuture(), false)
        .compose(pending -> Future.fromCompletionStage(pending, context))
        .map(secret -> new Read(name, secret.getValue(), null))
        .otherwise(error -> new Read(name, null, explain(vaultUrl, name, error)))
        .onSuccess(read -> count(registry, name, read.outcome()));
  }

  private static void count(MeterRegistry registry, String name, ReadOutcome outcome) {
    reads(registry, name, outcome).increment();
  }

  private static Counter reads(MeterRegistry registry, String name, ReadOutcome outcome) {
    return Counter.builder(READS_METER)
        .description("Secrets read from Key Vault, by secret name and outcome")
        .tag("secret", name)
        .tag("outcome", outcome.tag())
        .register(registry);
  }

  // Only names, the vault URL, status codes and Key Vault's / the JDK's own words go into a reason: none of
  // those carries a secret value or a token.
  static SecretLoadException.Failure explain(String vaultUrl, String name, Throwable error) {
    Throwable cause = unwrap(error);
    String secret = "secret '" + name + "'";
    if (cause instanceof ResourceNotFoundException) {
      return new SecretLoadException.Failure(name, ReadOutcome.NOT_FOUND, secret + " not found in vault " + vaultUrl
          + ": create it in the vault, or fix the secret name in the configuration");
    }
    if (cause instanceof HttpResponseException http && http.getResponse() != null) {
      int status = http.getResponse().getStatusCode();
      String vaultSaid = " (Key Vault said: " + vaultError(http) + ")";
      return switch (status) {
        case 401 -> new SecretLoadException.Failure(name, ReadOutcome.UNAUTHORIZED, "vault " + vaultUrl
            + " refused the gateway's token (unauthorized) when reading " + secret + vaultSaid
            + ": check keyVault.credential (tenant, clientId) and that the vault belongs to that tenant");
        case 403 -> new SecretLoadException.Failure(name, ReadOutcome.FORBIDDEN, "the gateway's identity lacks "
            + "permission to get " + secret + " in vault " + vaultUrl + vaultSaid
            + ": grant it the 'Key Vault Secrets User' role on the vault, or 'Get' on secrets in its access policy");
        case 404 -> new SecretLoadException.Failure(name, ReadOutcome.NOT_FOUND, secret + " not found in vault "
            + vaultUrl + vaultSaid + ": check keyVault.url and the secret name");
        default -> new SecretLoadException.Failure(name, ReadOutcome.ERROR, "vault " + vaultUrl + " answered HTTP "
            + status + " when reading " + secret + vaultSaid + ": retry later, or check the vault's health");
      };
    }
    if (cause instanceof ClientAuthenticationException) {
      return new SecretLoadException.Failure(name, ReadOutcome.UNAUTHORIZED, "could not get a token for vault "
          + vaultUrl + " to read " + secret + " (unauthorized: " + firstLine(cause.getMessage())
          + "): check keyVault.credential");
    }
    Throwable tls = find(cause, SSLException.class);
    if (tls != null) {
      return new SecretLoadException.Failure(name, ReadOutcome.UNREACHABLE, "vault " + vaultUrl
          + " is unreachable over TLS when reading " + secret + " (" + describe(tls)
          + "): if the vault's certificate is not from a public CA, list it in tls.trustPemFiles");
    }
    Throwable network = find(cause, ConnectException.class, UnknownHostException.class,
        NoRouteToHostException.class, UnresolvedAddressException.class, HttpTimeoutException.class);
    if (network != null) {
      return new SecretLoadException.Failure(name, ReadOutcome.UNREACHABLE, "vault " + vaultUrl
          + " is unreachable when reading " + secret + " (" + describe(network)
          + "): check keyVault.url, DNS, and that this host may reach the vault (firewall, private endpoint)");
    }
    return new SecretLoadException.Failure(name, ReadOutcome.ERROR, "reading " + secret + " from vault " + vaultUrl
        + " failed (" + describe(cause) + ")");
  }

  // The SDK's message is 'Status code 403, "{"error":{"code":...,"message":...}}"': keep Key Vault's words.
  private static String vaultError(HttpResponseException http) {
    String message = String.valueOf(http.getMessage());
    int start = message.indexOf('{');
    int end = message.lastIndexOf('}');
    if (start >= 0 && end > start) {
      try {
        JsonObject error = new JsonObject(message.substring(start, end + 1)).getJsonObject("error");
        if (error != null) {
          return error.getString("code") + ": " + error.getString("message");
        }
      } catch (DecodeException | ClassCastException notKeyVaultJson) {
        // fall through to the status line
      }
    }
    return "HTTP " + http.getResponse().getStatusCode();
  }

  private static Throwable unwrap(Throwable error) {
    Throwable current = error;
    while ((current instanceof CompletionException || current instanceof ExecutionException)
        && current.getCause() != null) {
      current = current.getCause();
    }
    return current;
  }

  @SafeVarargs
  private static Throwable find(Throwable error, Class<? extends Throwable>... types) {
    for (Throwable current = error; current != null; current = current.getCause()) {
      for (Class<? extends Throwable> type : types) {
        if (type.isInstance(current)) {
          return current;
        }
      }
      if (current.getCause() == current) {
        break;
      }
    }
    return null;
  }

  private static String describe(Throwable error) {
    String message = error.getMessage();
    return error.getClass().getSimpleName() + (message == null ? "" : ": " + firstLine(message));
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "no details";
    }
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }

  private record Read(String name, String value, SecretLoadException.Failure failure) {
    ReadOutcome outcome() {
      return failure == null ? ReadOutcome.SUCCESS : failure.outcome();
    }

    @Override
    public String toString() {
      return "Read[" + name + "]";
    }
  }
}
