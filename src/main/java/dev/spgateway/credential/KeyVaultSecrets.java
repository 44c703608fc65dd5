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
import io.vertx.core.Promise;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import javax.net.ssl.SSLException;

/**
 * The service principals' secrets (client secrets, certificates' PKCS#12 or PEM), read from Key Vault at start, held
 * in memory, and read again: on a schedule ({@link #refreshEvery}, one read per secret, never two at once) and at once
 * when Entra ID refuses one ({@link #reread}, at most once a minute per secret). A new version is logged by its version
 * id, never its value. When the vault cannot be read during a refresh, the versions held stay in use; the outage is
 * logged once and every failed read is counted in {@link #READS_METER}.
 */
public final class KeyVaultSecrets implements SecretStore {

  /** Counter of reads, tagged {@code secret} and {@code outcome}. */
  public static final String READS_METER = "gateway.keyvault.reads";
  /** A secret Entra ID refused is read again at once, but no more often than this. */
  public static final Duration REREAD_INTERVAL = Duration.ofMinutes(1);

  private static final Logger LOG = LoggerFactory.getLogger(KeyVaultSecrets.class);

  /** How one read went; the tag value of {@link #READS_METER}'s {@code outcome}. */
  public enum ReadOutcome {
    SUCCESS, NOT_FOUND, FORBIDDEN, UNAUTHORIZED, UNREACHABLE, ERROR;

    public String tag() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final Vertx vertx;
  private final Context context;
  private final SecretAsyncClient client;
  private final String vaultUrl;
  private final MeterRegistry registry;
  private final Clock clock;
  private final Duration expiryWarning;
  private final Map<String, SecretVersion> held = new ConcurrentHashMap<>();
  /** The read under way per secret: a second asker shares it. */
  private final Map<String, Future<SecretVersion>> reading = new ConcurrentHashMap<>();
  private final Map<String, Instant> lastReread = new ConcurrentHashMap<>();
  /** name@version of the secrets already warned about, so each version's warning is one line. */
  private final Set<String> warned = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean vaultFailing = new AtomicBoolean();
  private volatile long timer = -1;

  private KeyVaultSecrets(Vertx vertx, SecretAsyncClient client, String vaultUrl, MeterRegistry registry, Clock clock,
      Duration expiryWarning) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.client = client;
    this.vaultUrl = vaultUrl;
    this.registry = registry;
    this.clock = clock;
    this.expiryWarning = expiryWarning;
  }

  /** As {@link #load(Vertx, SecretAsyncClient, String, Collection, MeterRegistry, Clock, Duration)}, on the system clock. */
  public static Future<KeyVaultSecrets> load(Vertx vertx, SecretAsyncClient client, String vaultUrl,
      Collection<String> secretNames, MeterRegistry registry) {
    return load(vertx, client, vaultUrl, secretNames, registry, Clock.systemUTC(), KeyVaultConfig.DEFAULT_EXPIRY_WARNING);
  }

  /**
   * Reads every named secret once, all in parallel, and completes on the caller's context (or a new one when
   * called off Vert.x). Fails with {@link SecretLoadException} listing every secret that could not be read.
   *
   * @param vaultUrl the client's vault, as the operator wrote it, for messages
   * @param clock what expiry dates and the re-read interval are judged by
   * @param expiryWarning warn once per version when a secret expires within this time
   */
  public static Future<KeyVaultSecrets> load(Vertx vertx, SecretAsyncClient client, String vaultUrl,
      Collection<String> secretNames, MeterRegistry registry, Clock clock, Duration expiryWarning) {
    KeyVaultSecrets secrets = new KeyVaultSecrets(vertx, client, vaultUrl, registry, clock, expiryWarning);
    return secrets.ensure(secretNames).map(secrets);
  }

  /**
   * Reads the named secrets this store does not hold yet (at start: all of them; on a config reload: a new
   * service principal's), so a credential can be built from them before it is used. Fails with
   * {@link SecretLoadException} listing every secret that could not be read; the secrets read are kept.
   */
  public Future<Void> ensure(Collection<String> secretNames) {
    List<String> missing = new LinkedHashSet<>(secretNames).stream().filter(name -> !held.containsKey(name)).toList();
    if (missing.isEmpty()) return Future.succeededFuture();
    // Every outcome present at 0, so an alert on failures sees the first one.
    for (String name : missing) {
      for (ReadOutcome outcome : ReadOutcome.values()) reads(name, outcome);
    }
    // One secret first: when the vault cannot be reached or refuses the gateway's identity, that is one reason, said
    // once, after one token request; not the same failure for every secret at once.
    return readAll(missing.subList(0, 1)).compose(
        firstRead -> readAll(missing.subList(1, missing.size())),
        firstFailed -> {
          SecretLoadException.Failure failure = ((SecretLoadException) firstFailed).failures().get(0);
          boolean vaultWide = failure.outcome() == ReadOutcome.UNAUTHORIZED || failure.outcome() == ReadOutcome.UNREACHABLE;
          return vaultWide ? Future.failedFuture(firstFailed) : readAll(missing.subList(1, missing.size()))
              .transform(rest -> Future.failedFuture(rest.succeeded() ? firstFailed : merged(failure, rest.cause())));
        });
  }

  private SecretLoadException merged(SecretLoadException.Failure first, Throwable rest) {
    List<SecretLoadException.Failure> failures = new ArrayList<>(List.of(first));
    failures.addAll(((SecretLoadException) rest).failures());
    return new SecretLoadException(vaultUrl, failures);
  }

  private Future<Void> readAll(List<String> missing) {
    List<Future<Read>> reads = missing.stream().map(name -> read(name).map(version -> new Read(name, version, null))
        .otherwise(error -> new Read(name, null, explain(vaultUrl, name, error)))).toList();
    return Future.all(reads).compose(done -> {
      List<SecretLoadException.Failure> failures = new ArrayList<>();
      for (Future<Read> read : reads) {
        Read result = read.result();
        if (result.failure() == null) {
          keep(result.version());
        } else {
          failures.add(result.failure());
        }
      }
      return failures.isEmpty()
          ? Future.succeededFuture()
          : Future.failedFuture(new SecretLoadException(vaultUrl, failures));
    });
  }

  /** Reads every held secret again every {@code every}; {@link #close} stops it. */
  public KeyVaultSecrets refreshEvery(Duration every) {
    context.runOnContext(ignored -> timer = vertx.setPeriodic(every.toMillis(), id -> refreshAll()));
    return this;
  }

  /** Reads every held secret again, one read per secret; completes when all are done, failed ones included. */
  public Future<Void> refreshAll() {
    List<Future<SecretVersion>> refreshes = held.keySet().stream().map(this::refresh).toList();
    return Future.join(refreshes).transform(done -> Future.succeededFuture());
  }

  @Override
  public Future<Boolean> reread(String name) {
    Instant now = clock.instant();
    Instant last = lastReread.get(name);
    if (last != null && now.isBefore(last.plus(REREAD_INTERVAL))) {
      return Future.succeededFuture(false);
    }
    lastReread.put(name, now);
    SecretVersion before = held.get(name);
    return refresh(name).map(after -> !after.sameAs(before)).otherwise(false);
  }

  @Override
  public String secret(String name) {
    return current(name).value();
  }

  @Override
  public SecretVersion current(String name) {
    SecretVersion version = held.get(name);
    if (version == null) {
      throw new IllegalStateException("secret '" + name + "' was not loaded from Key Vault at start: "
          + "the configuration must name it so the gateway reads it");
    }
    return version;
  }

  /** The names of the secrets held. */
  public Set<String> names() {
    return Set.copyOf(held.keySet());
  }

  /** Stops the scheduled refresh. */
  public void close() {
    long id = timer;
    if (id >= 0) vertx.cancelTimer(id);
  }

  @Override
  public String toString() {
    return "KeyVaultSecrets" + new TreeSet<>(held.keySet());
  }

  /** One read of a held secret; a vault outage keeps the held version and is logged once. */
  private Future<SecretVersion> refresh(String name) {
    return read(name)
        .onSuccess(version -> {
          keep(version);
          if (vaultFailing.compareAndSet(true, false)) {
            LOG.info("Key Vault {} can be read again; secrets are refreshed as usual", vaultUrl);
          }
        })
        .onFailure(error -> {
          if (vaultFailing.compareAndSet(false, true)) {
            LOG.warn("Key Vault refresh failed: {}; the gateway keeps using the versions it holds and tries again "
                + "at the next refresh (counted in {})", explain(vaultUrl, name, error).reason(), READS_METER);
          }
        });
  }

  private void keep(SecretVersion version) {
    SecretVersion before = held.put(version.name(), version);
    if (before != null && !version.sameAs(before)) {
      LOG.info("secret '{}' has a new version {} in Key Vault (was {}); service principals using it switch once it "
          + "has produced a token", version.name(), version.version(), before.version());
    }
    warnIfExpiring(version);
  }

  private void warnIfExpiring(SecretVersion version) {
    Instant expires = version.expiresOn();
    if (expires == null || expiryWarning.isZero()) return;
    Instant now = clock.instant();
    if (now.plus(expiryWarning).isBefore(expires) || !warned.add(version.name() + "@" + version.version())) return;
    long days = Duration.between(now, expires).toDays();
    if (now.isBefore(expires)) {
      LOG.warn("secret '{}' (version {}) in Key Vault {} expires on {}, in {} days: write a new version to the vault "
          + "and add the new secret or certificate to the app registration (docs/CREDENTIALS.md)",
          version.name(), version.version(), vaultUrl, expires, days);
    } else {
      LOG.warn("secret '{}' (version {}) in Key Vault {} expired on {}: Entra ID refuses it; write a new version "
          + "to the vault (docs/CREDENTIALS.md)", version.name(), version.version(), vaultUrl, expires);
    }
  }

  /** One read, at most one at a time per secret: a second asker gets the read under way. */
  private Future<SecretVersion> read(String name) {
    Promise<SecretVersion> mine = Promise.promise();
    Future<SecretVersion> shared = reading.computeIfAbsent(name, n -> mine.future());
    if (shared != mine.future()) return shared;
    // Subscribing runs the SDK's pipeline up to the send (first use loads and initialises a lot of classes),
    // so it happens on a worker; the answer arrives on the JDK HTTP client's threads and is handed back to
    // the store's context.
    context.<CompletableFuture<KeyVaultSecret>>executeBlocking(() -> client.getSecret(name).toFuture(), false)
        .compose(pending -> Future.fromCompletionStage(pending, context))
        .map(secret -> new SecretVersion(name, secret.getValue(), secret.getProperties().getVersion(),
            secret.getProperties().getExpiresOn() == null ? null : secret.getProperties().getExpiresOn().toInstant()))
        .onComplete(result -> {
          count(name, result.succeeded() ? ReadOutcome.SUCCESS : explain(vaultUrl, name, result.cause()).outcome());
          reading.remove(name, mine.future());
          mine.handle(result);
        });
    return mine.future();
  }

  private void count(String name, ReadOutcome outcome) {
    reads(name, outcome).increment();
  }

  private Counter reads(String name, ReadOutcome outcome) {
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

  private record Read(String name, SecretVersion version, SecretLoadException.Failure failure) {
    @Override
    public String toString() {
      return "Read[" + name + "]";
    }
  }
}
