package dev.spgateway.gateway;

import com.azure.core.credential.TokenCredential;
import com.azure.identity.DefaultAzureCredentialBuilder;
import dev.spgateway.admin.AdminServer;
import dev.spgateway.admin.JvmMetrics;
import dev.spgateway.audit.AuditLog;
import dev.spgateway.audit.AuditRecord;
import dev.spgateway.audit.AuditWriter;
import dev.spgateway.config.GatewayConfig;
import dev.spgateway.credential.Credentials;
import dev.spgateway.credential.KeyVaultClients;
import dev.spgateway.credential.KeyVaultConfig;
import dev.spgateway.credential.KeyVaultSecrets;
import dev.spgateway.credential.KeyVaultTokenCredential;
import dev.spgateway.credential.SecretStore;
import dev.spgateway.credential.ServicePrincipalConfig;
import dev.spgateway.credential.TokenClient;
import dev.spgateway.credential.TokenService;
import dev.spgateway.listener.ConnectionGuard;
import dev.spgateway.listener.Listeners;
import dev.spgateway.identity.EntraSigningKeys;
import dev.spgateway.listener.Listeners;
import dev.spgateway.proxy.Forwarder;
import dev.spgateway.proxy.Upstream;
import dev.spgateway.proxy.Upstreams;
import dev.spgateway.proxy.Links;
import dev.spgateway.ratelimit.RateLimiter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running gateway: secrets loaded from Key Vault, callers' listener and admin port open. {@link #start}
 * builds the long-lived parts once (HTTP clients, token cache, rate-limit store, audit writer, listener) and the
 * config's {@link Generation}; {@link #reload} swaps in a new generation. The request path itself is {@link Pipeline}.
 */
public final class Gateway {

  private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);
  /** How long a graceful stop waits for requests under way. */
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
  /** How long a stop waits, after the listener closed, for the records of the requests it refused meanwhile. */
  private static final Duration REFUSALS_RECORDED_TIMEOUT = Duration.ofSeconds(2);

  private final Vertx vertx;
  private final Pipeline pipeline;
  private final Listeners.Listener listener;
  private final AdminServer admin;
  private final int adminPort;
  private final AuditLog audit;
  private final List<AutoCloseable> clients;
  private final Parts parts;
  private final AtomicBoolean ready;

  private Gateway(Vertx vertx, Pipeline pipeline, Listeners.Listener listener, AdminServer admin, int adminPort,
      AuditLog audit, List<AutoCloseable> clients, Parts parts, AtomicBoolean ready) {
    this.ready = ready;
    this.vertx = vertx;
    this.pipeline = pipeline;
    this.listener = listener;
    this.admin = admin;
    this.adminPort = adminPort;
    this.audit = audit;
    this.clients = clients;
    this.parts = parts;
  }

  /**
   * What a reload needs besides the new config: the long-lived parts, and the config and secrets in force.
   * {@code current} is read by every request; the rest is touched only by {@link #reload}, one at a time.
   */
  private static final class Parts {
    final AtomicReference<Generation> current;
    final WebClient tokenClient;
    final OutboundTrust trust;
    final PrometheusMeterRegistry registry;
    final TokenService tokens;
    final Clock clock;
    final List<AutoCloseable> clients;
    /** The accepted tenants' signing keys (restart-only settings), shared by every generation; or null. */
    final EntraSigningKeys entraKeys;
    GatewayConfig config;
    /** Every Key Vault secret held, refreshed on keyVault.refresh; null while no principal needs one. */
    KeyVaultSecrets secrets;

    Parts(AtomicReference<Generation> current, WebClient tokenClient, OutboundTrust trust,
        PrometheusMeterRegistry registry, TokenService tokens, Clock clock, List<AutoCloseable> clients,
        EntraSigningKeys entraKeys, GatewayConfig config, KeyVaultSecrets secrets) {
      this.current = current;
      this.tokenClient = tokenClient;
      this.trust = trust;
      this.registry = registry;
      this.tokens = tokens;
      this.clock = clock;
      this.clients = clients;
      this.entraKeys = entraKeys;
      this.config = config;
      this.secrets = secrets;
    }
  }

  /**
   * How a gateway's Vert.x is set up: Netty's native transport (epoll) where it is on the classpath for this
   * platform (Linux x86_64), NIO elsewhere. Fewer copies and system calls per request than NIO.
   */
  public static VertxOptions vertxOptions() {
    return new VertxOptions().setPreferNativeTransport(true);
  }

  /** Starts a gateway; fails, naming what to fix, when a secret cannot be read or a port is taken. */
  public static Future<Gateway> start(Vertx vertx, GatewayConfig config, PrometheusMeterRegistry registry) {
    return start(vertx, config, registry, Clock.systemUTC());
  }

  /** As {@link #start(Vertx, GatewayConfig, PrometheusMeterRegistry)}, with budgets kept by {@code clock}. */
  public static Future<Gateway> start(Vertx vertx, GatewayConfig config, PrometheusMeterRegistry registry,
      Clock clock) {
    return vertx.executeBlocking(() -> {
      OutboundTrust trust = OutboundTrust.read(config.tls());
      WebClient entraClient = config.identity().entra() == null ? null : WebClient.create(vertx, outboundOptions(trust));
      EntraSigningKeys entraKeys = entraClient == null ? null : new EntraSigningKeys(vertx, entraClient,
          config.entra().authority(), config.identity().entra().tenants(), clock);
      return new Resources(trust, AuditWriter.open(config.audit(), config.clientIds(), registry), entraClient,
          entraKeys, Generation.of(config, entraKeys, registry), JvmMetrics.bind(registry));
    }).compose(resources -> start(vertx, config, registry, resources, clock));
  }

  /** {@code entraKeys}: callers' Entra ID tokens are checked against them (identity.entra), or null. */
  private record Resources(OutboundTrust trust, AuditLog audit, WebClient entraClient, EntraSigningKeys entraKeys,
      Generation first, AutoCloseable jvmMetrics) {}

  /** For calls to Entra ID: no redirects followed, the operator's extra trust. */
  private static WebClientOptions outboundOptions(OutboundTrust trust) {
    WebClientOptions options = new WebClientOptions().setFollowRedirects(false).setUserAgent("sp-gateway");
    trust.vertxOptions().ifPresent(options::setTrustOptions);
    return options;
  }

  private record Listening(Pipeline pipeline, Listeners.Listener listener, Parts parts) {}

  private static Future<Gateway> start(Vertx vertx, GatewayConfig config, PrometheusMeterRegistry registry,
      Resources resources, Clock clock) {
    OutboundTrust trust = resources.trust();
    WebClient tokenClient = WebClient.create(vertx, outboundOptions(trust));

    HttpClientOptions upstreamOptions = new HttpClientOptions().setKeepAlive(true).setDecompressionSupported(false);
    trust.vertxOptions().ifPresent(upstreamOptions::setTrustOptions);
    // TLS to the upstreams by OpenSSL (BoringSSL, from netty-tcnative) where it is there: less CPU per byte and
    // per handshake than the JDK's engine, which stays the fallback.
    if (OpenSSLEngineOptions.isAvailable()) upstreamOptions.setSslEngineOptions(new OpenSSLEngineOptions());

    RateLimiter limiter = RateLimiter.create(vertx, config.ratelimit(), registry, clock);
    // The config in force: every request reads it once; a reload replaces it.
    AtomicReference<Generation> current = new AtomicReference<>(resources.first());
    // Where links point: the listener's, so restart-only. Known now when configured, else once the port is bound.
    Links links = new Links(config.listener().publicBaseUrl() == null ? null
        : config.listener().effectivePublicBaseUrl(config.listener().port()));
    // One client per event loop (see Forwarder), each with up to 64 connections per upstream.
    Forwarder forwarder = new Forwarder(() -> vertx.createHttpClient(upstreamOptions,
        new PoolOptions().setHttp1MaxSize(64)), links);

    List<AutoCloseable> clients = new ArrayList<>(List.of(tokenClient::close, forwarder::close, limiter::close,
        resources.jvmMetrics()));
    AtomicBoolean ready = new AtomicBoolean(); // written by the listener's event loop, read by the admin's
    AtomicBoolean tokensAskedFor = new AtomicBoolean();
    AtomicReference<TokenService> tokenService = new AtomicReference<>();
    AdminServer admin = new AdminServer(vertx, registry, () -> ready.get() && tokensAskedFor.get(), config.audit(),
        () -> current.get().auditReaders(),
        () -> tokenService.get() == null ? Map.of() : tokenService.get().unready());
    Set<String> secretNames = Credentials.keyVaultSecrets(config.servicePrincipals());
    return admin.listen(config.admin())
        .compose(adminServer -> loadSecrets(vertx, config, secretNames, tokenClient, trust, registry, clock)
            .compose(vault -> callerTokenKeys(resources, clients).map(vault))
            .compose(vault -> {
              if (vault != null) {
                vault.refreshEvery(config.keyVault().refresh());
                clients.add(vault::close);
              }
              TokenService tokens = new TokenService(vertx, Credentials.create(vertx, tokenClient,
                  config.entra().authority(), config.servicePrincipals(), store(vault), clock),
                  config.entra().tokens(), registry, clock);
              tokenService.set(tokens);
              // Every token the routes need, asked for at start (callers arriving meanwhile share those requests):
              // a principal that cannot get one is named in the log and in /health/ready, and the others serve.
              tokens.warmUp(tokenKeys(config, resources.first().upstreams()))
                  .onComplete(done -> tokensAskedFor.set(true));
              Parts parts = new Parts(current, tokenClient, trust, registry, tokens, clock, clients,
                  resources.entraKeys(), config, vault);
              Pipeline pipeline = new Pipeline(current::get, limiter, tokens, forwarder,
                  resources.audit());
              ConnectionGuard guard = new ConnectionGuard(vertx, config.listener(),
                  new ListenerRefusals(resources.audit()));
              pipeline.watchBodiesWith(guard);
              // Every copy of the listener shares the one pipeline and guard: their state is safe across event loops.
              return Listeners.deploy(vertx, config.listener(), guard, () -> pipeline)
                  .map(listener -> new Listening(pipeline, listener, parts));
            })
            .map(listening -> {
              Listeners.Listener listener = listening.listener();
              // Without a configured URL (loopback only), links point at the port actually bound.
              links.publicBaseUrl(config.listener().effectivePublicBaseUrl(listener.port()));
              ready.set(true);
              LOG.info("sp-gateway listening on {}:{} ({} event loops{}), admin on {}:{}", config.listener().host(),
                  listener.port(), config.listener().eventLoops(),
                  vertx.isNativeTransportEnabled() ? ", epoll" : "", config.admin().host(), adminServer.actualPort());
              return new Gateway(vertx, listening.pipeline(), listener, admin, adminServer.actualPort(),
                  resources.audit(), clients, listening.parts(), ready);
            }))
        .recover(failure -> admin.close()
            .eventually(() -> closeAll(resources.audit(), clients))
            .transform(closed -> Future.failedFuture(failure)));
  }

  /** Service principal → the scopes of the upstreams its routes reach: the tokens asked for at start. */
  static Map<String, Set<String>> tokenKeys(GatewayConfig config, Upstreams upstreams) {
    Map<String, Set<String>> keys = new TreeMap<>();
    config.routes().values().forEach(routes -> routes.forEach(route -> {
      Upstream upstream = upstreams.get(route.upstream());
      if (upstream != null && route.as() != null) keys.computeIfAbsent(route.as(), sp -> new TreeSet<>()).add(upstream.scope());
    }));
    return keys;
  }

  /**
   * Callers' Entra ID tokens, when identity.entra asks for them: the accepted tenants' signing keys are fetched
   * now (a failure is logged and retried every minute; API keys work meanwhile, tokens get 503).
   */
  private static Future<Void> callerTokenKeys(Resources resources, List<AutoCloseable> clients) {
    if (resources.entraKeys() == null) return Future.succeededFuture();
    clients.add(resources.entraKeys()::close);
    clients.add(resources.entraClient()::close);
    return resources.entraKeys().start();
  }

  private static SecretStore store(KeyVaultSecrets vault) {
    if (vault != null) return vault;
    return name -> {
      throw new IllegalStateException("no secret '" + name + "': no service principal reads one from Key Vault");
    };
  }

  /**
   * The named secrets and certificates, read from Key Vault into a store that refreshes them; null when none are
   * named.
   */
  private static Future<KeyVaultSecrets> loadSecrets(Vertx vertx, GatewayConfig config, Set<String> names,
      WebClient tokenClient, OutboundTrust trust, PrometheusMeterRegistry registry, Clock clock) {
    if (names.isEmpty()) return Future.succeededFuture();
    KeyVaultConfig vault = config.keyVault();
    var credential = vaultCredential(vertx, vault,
        new TokenClient(tokenClient, config.entra().authority(), Clock.systemUTC()), config);
    // Building the SDK client loads and initialises much of the Azure SDK: seconds on a busy machine, so a worker.
    return vertx.executeBlocking(() -> KeyVaultClients.secretClient(vault.url(), credential, trust.sslContext(),
            vault.clientSettings()), false)
        .compose(client -> KeyVaultSecrets.load(vertx, client, vault.url().toString(), names, registry, clock,
            vault.expiryWarning()));
  }

  /**
   * Puts {@code next} in force between two requests: requests under way finish under the config they started
   * with. A new service principal's secret is read from Key Vault first; the token cache, budgets spent,
   * audit writer, concurrency slots and HTTP clients carry on. Fails with {@link ReloadRefused}, changing
   * nothing, when {@code next} changes something that only a restart can, or a new secret cannot be read. Call
   * one at a time, from a Vert.x context.
   *
   * @return what changed, in a few words, for the log line
   */
  public Future<String> reload(GatewayConfig next, String sha256, String trigger) {
    GatewayConfig running = parts.config;
    List<String> restartOnly = ConfigDiff.restartOnly(running, next);
    if (!restartOnly.isEmpty()) {
      return Future.failedFuture(new ReloadRefused(ReloadRefused.RESTART_REQUIRED, String.join(", ", restartOnly)
          + " cannot change while the gateway runs; restart it to apply the new config"));
    }
    // A new service principal's secret or certificate is read into the store (refreshed with the others), and its
    // credential built, before anything changes; unchanged principals keep theirs, with the version in use.
    Set<String> names = Credentials.keyVaultSecrets(next.servicePrincipals());
    KeyVaultSecrets held = parts.secrets;
    Future<KeyVaultSecrets> loaded = names.isEmpty() ? Future.succeededFuture(held)
        : held != null ? held.ensure(names).map(held)
        : loadSecrets(vertx, next, names, parts.tokenClient, parts.trust, parts.registry, parts.clock)
            .onSuccess(vault -> {
              vault.refreshEvery(next.keyVault().refresh());
              parts.clients.add(vault::close);
            });
    return vertx.executeBlocking(() -> Generation.of(next, parts.entraKeys, parts.registry), false)
        .compose(generation -> loaded
            .recover(failure -> Future.failedFuture(new ReloadRefused(ReloadRefused.FAILED, failure.getMessage())))
            .map(vault -> {
              Credentials credentials = Credentials.create(vertx, parts.tokenClient, next.entra().authority(),
                  next.servicePrincipals(), store(vault), parts.clock).keepingUnchanged(parts.tokens.credentials());
              // Credentials first, so the first request of the new generation finds its service principals.
              parts.tokens.update(credentials);
              parts.tokens.warmUp(tokenKeys(next, generation.upstreams()));
              audit.clientIds(next.clientIds());
              parts.current.set(generation);
              parts.config = next;
              parts.secrets = vault;
              String summary = ConfigDiff.describe(running, next);
              audit.append(AuditRecord.configReloaded(java.time.Instant.now(), sha256, trigger, summary));
              return summary;
            }));
  }

  /** A reload that changed nothing: the message says why and what to do. */
  public static final class ReloadRefused extends RuntimeException {
    public static final String RESTART_REQUIRED = "restart-required";
    public static final String FAILED = "failed";
    private final String outcome;

    ReloadRefused(String outcome, String message) {
      super(message, null, false, false);
      this.outcome = outcome;
    }

    /** {@value #RESTART_REQUIRED} or {@value #FAILED}. */
    public String outcome() {
      return outcome;
    }
  }

  /**
   * How the gateway signs in to Key Vault: azure-identity's default chain in production (managed
   * identity, workload identity, environment, Azure CLI), or an app registration's client secret, fetched
   * over the same client-credentials call the gateway uses for its service principals.
   */
  private static TokenCredential vaultCredential(Vertx vertx, KeyVaultConfig vault, TokenClient tokens,
      GatewayConfig config) {
    KeyVaultConfig.Credential credential = vault.credential();
    if (credential.usesDefaultAzureCredential()) return new DefaultAzureCredentialBuilder().build();
    var reader = new ServicePrincipalConfig(credential.tenant(), credential.clientId(), null);
    return new KeyVaultTokenCredential(vertx.getOrCreateContext(), scope -> tokens.request("keyVault.credential",
        reader, credential.secret(), scope, config.entra().tokens().requestTimeout()));
  }

  Vertx vertx() {
    return vertx;
  }

  /** The token service, for tests that wait for its background requests. */
  TokenService tokens() {
    return parts.tokens;
  }

  /** What the {@code keyVault.refresh} timer does, for tests that rotate a secret without waiting an hour. */
  Future<Void> refreshSecrets() {
    return parts.secrets == null ? Future.succeededFuture() : parts.secrets.refreshAll();
  }

  MeterRegistry registry() {
    return parts.registry;
  }

  public int port() {
    return listener.port();
  }

  public int adminPort() {
    return adminPort;
  }

  /**
   * Stops taking requests (503 shutting-down, and not ready, so a load balancer moves on), lets those under way
   * finish and leave their records (10 s at most), closes the listener, then writes out every audit record.
   * Logs one line saying so.
   */
  public Future<Void> close() {
    ready.set(false);
    long start = System.nanoTime();
    Pipeline.Drained[] drained = new Pipeline.Drained[1];
    return pipeline.drain(vertx, STOP_TIMEOUT)
        .onSuccess(result -> drained[0] = result)
        // Nothing is under way now: idle keep-alive connections need not be waited for.
        .eventually(listener::close)
        // A 503 shutting-down can reach its caller a moment before its end handler records it.
        .eventually(() -> pipeline.refusalsRecorded(vertx, REFUSALS_RECORDED_TIMEOUT))
        .eventually(admin::close)
        .eventually(() -> closeAll(audit, clients))
        .onComplete(closed -> logStopped(drained[0], Duration.ofNanos(System.nanoTime() - start), closed.cause()))
        .mapEmpty();
  }

  private static void logStopped(Pipeline.Drained drained, Duration took, Throwable failure) {
    String requests = drained == null ? "" : String.format(
        "; drained %d request(s) under way%s, refused %d arriving meanwhile with 503 shutting-down",
        drained.underWay() - drained.unfinished(),
        drained.unfinished() == 0 ? "" : " (" + drained.unfinished() + " cut off after " + STOP_TIMEOUT.toSeconds()
            + " s)",
        drained.refused());
    if (failure == null) {
      LOG.info("sp-gateway stopped in {} ms{}; audit log flushed", took.toMillis(), requests);
    } else {
      LOG.error("sp-gateway stopped in {} ms{}; but closing failed: {}", took.toMillis(), requests, failure.toString());
    }
  }

  private static Future<Void> closeAll(AuditLog audit, List<AutoCloseable> clients) {
    for (AutoCloseable client : clients) {
      try {
        client.close();
      } catch (Exception e) {
        LOG.debug("closing a client failed", e);
      }
    }
    return audit.close();
  }
}
