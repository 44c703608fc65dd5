package dev.spgateway.gateway;

import com.azure.core.credential.TokenCredential;
import com.azure.identity.DefaultAzureCredentialBuilder;
import dev.spgateway.admin.AdminServer;
import dev.spgateway.audit.AuditLog;
import dev.spgateway.audit.AuditRecord;
import dev.spgateway.audit.AuditWriter;
import dev.spgateway.config.GatewayConfig;
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
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running gateway: secrets loaded from Key Vault, callers' listener and admin port open. {@link #start}
 * builds the long-lived parts once (HTTP clients, token cache, rate-limit store, audit writer, listener) and the
 * config's {@link Generation}; {@link #reload} swaps in a new generation. The request path itself is {@link Pipeline}.
 */
public final class Gateway {

  private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

  private final Vertx vertx;
  private final Pipeline pipeline;
  private final Listeners.Listener listener;
  private final AdminServer admin;
  private final int adminPort;
  private final AuditLog audit;
  private final List<AutoCloseable> clients;
  private final Parts parts;

  private Gateway(Vertx vertx, Pipeline pipeline, Listeners.Listener listener, AdminServer admin, int adminPort,
      AuditLog audit, List<AutoCloseable> clients, Parts parts) {
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
    /** The accepted tenants' signing keys (restart-only settings), shared by every generation; or null. */
    final EntraSigningKeys entraKeys;
    GatewayConfig config;
    SecretStore secrets;
    Set<String> secretNames;

    Parts(AtomicReference<Generation> current, WebClient tokenClient, OutboundTrust trust,
        PrometheusMeterRegistry registry, TokenService tokens, EntraSigningKeys entraKeys, GatewayConfig config,
        SecretStore secrets, Set<String> secretNames) {
      this.current = current;
      this.tokenClient = tokenClient;
      this.trust = trust;
      this.registry = registry;
      this.tokens = tokens;
      this.entraKeys = entraKeys;
      this.config = config;
      this.secrets = secrets;
      this.secretNames = secretNames;
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
          entraKeys, Generation.of(config, entraKeys));
    }).compose(resources -> start(vertx, config, registry, resources, clock));
  }

  /** {@code entraKeys}: callers' Entra ID tokens are checked against them (identity.entra), or null. */
  private record Resources(OutboundTrust trust, AuditLog audit, WebClient entraClient, EntraSigningKeys entraKeys,
      Generation first) {}

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
    // One client per event loop (see Forwarder), each with up to 64 connections per upstream.
    Forwarder forwarder = new Forwarder(() -> vertx.createHttpClient(upstreamOptions,
        new PoolOptions().setHttp1MaxSize(64)));

    RateLimiter limiter = RateLimiter.create(vertx, config.ratelimit(), registry, clock);
    // The config in force: every request reads it once; a reload replaces it.
    AtomicReference<Generation> current = new AtomicReference<>(resources.first());

    List<AutoCloseable> clients = new java.util.ArrayList<>(List.of(tokenClient::close, forwarder::close,
        limiter::close));
    AtomicBoolean ready = new AtomicBoolean(); // written by the listener's event loop, read by the admin's
    AdminServer admin = new AdminServer(vertx, registry, ready::get, config.audit(),
        () -> current.get().auditReaders());
    Set<String> secretNames = secretNames(config);
    return admin.listen(config.admin())
        .compose(adminServer -> loadSecrets(vertx, config, secretNames, tokenClient, trust, registry)
            .compose(secrets -> callerTokenKeys(resources, clients).map(secrets))
            .compose(secrets -> {
              TokenService tokens = new TokenService(vertx, tokenClient, config.entra().authority(),
                  config.servicePrincipals(), secrets, config.entra().tokens(), registry);
              Parts parts = new Parts(current, tokenClient, trust, registry, tokens, resources.entraKeys(), config,
                  secrets, secretNames);
              Pipeline pipeline = new Pipeline(current::get, limiter, tokens, forwarder, resources.audit(), registry);
              ConnectionGuard guard = new ConnectionGuard(vertx, config.listener(),
                  new ListenerRefusals(resources.audit()));
              pipeline.watchBodiesWith(guard);
              // Every copy of the listener shares the one pipeline and guard: their state is safe across event loops.
              return Listeners.deploy(vertx, config.listener(), guard, () -> pipeline)
                  .map(listener -> new Listening(pipeline, listener, parts));
            })
            .map(listening -> {
              Listeners.Listener listener = listening.listener();
              ready.set(true);
              LOG.info("sp-gateway listening on {}:{} ({} event loops{}), admin on {}:{}", config.listener().host(),
                  listener.port(), config.listener().eventLoops(),
                  vertx.isNativeTransportEnabled() ? ", epoll" : "", config.admin().host(), adminServer.actualPort());
              return new Gateway(vertx, listening.pipeline(), listener, admin, adminServer.actualPort(),
                  resources.audit(), clients, listening.parts());
            }))
        .recover(failure -> admin.close()
            .eventually(() -> closeAll(resources.audit(), clients))
            .transform(closed -> Future.failedFuture(failure)));
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

  private static Set<String> secretNames(GatewayConfig config) {
    return config.servicePrincipals().values().stream().map(sp -> sp.secret().keyVault())
        .collect(Collectors.toCollection(TreeSet::new));
  }

  /** The named secrets, read once from Key Vault. */
  private static Future<SecretStore> loadSecrets(Vertx vertx, GatewayConfig config, Set<String> names,
      WebClient tokenClient, OutboundTrust trust, PrometheusMeterRegistry registry) {
    if (names.isEmpty()) return Future.succeededFuture(name -> {
      throw new IllegalStateException("no secret '" + name + "': no service principal is configured");
    });
    KeyVaultConfig vault = config.keyVault();
    var client = KeyVaultClients.secretClient(vault.url(),
        vaultCredential(vertx, vault, new TokenClient(tokenClient, config.entra().authority(), Clock.systemUTC()),
            config), trust.sslContext(), vault.clientSettings());
    return KeyVaultSecrets.load(vertx, client, vault.url().toString(), names, registry).map(SecretStore.class::cast);
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
    Set<String> names = secretNames(next);
    Set<String> missing = new TreeSet<>(names);
    missing.removeAll(parts.secretNames);
    return vertx.executeBlocking(() -> Generation.of(next, parts.entraKeys), false)
        .compose(generation -> loadSecrets(vertx, next, missing, parts.tokenClient, parts.trust, parts.registry)
            .recover(failure -> Future.failedFuture(new ReloadRefused(ReloadRefused.FAILED, failure.getMessage())))
            .map(added -> {
              SecretStore before = parts.secrets;
              SecretStore secrets = missing.isEmpty() ? before
                  : name -> missing.contains(name) ? added.secret(name) : before.secret(name);
              // Credentials first, so the first request of the new generation finds its service principals.
              parts.tokens.reconfigure(next.servicePrincipals(), secrets);
              audit.clientIds(next.clientIds());
              parts.current.set(generation);
              parts.config = next;
              parts.secrets = secrets;
              Set<String> held = new TreeSet<>(parts.secretNames);
              held.addAll(missing);
              parts.secretNames = held;
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
   * Stops taking requests (503 shutting-down), lets those under way finish and leave their records (10 s at
   * most), closes the listener, then writes out every audit record.
   */
  public Future<Void> close() {
    return pipeline.drain(vertx, java.time.Duration.ofSeconds(10))
        // Nothing is under way now: idle keep-alive connections need not be waited for.
        .eventually(listener::close)
        .eventually(admin::close)
        .eventually(() -> closeAll(audit, clients));
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
