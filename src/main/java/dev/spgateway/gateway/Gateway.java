package dev.spgateway.gateway;

import com.azure.core.credential.TokenCredential;
import com.azure.identity.DefaultAzureCredentialBuilder;
import dev.spgateway.admin.AdminServer;
import dev.spgateway.audit.AuditLog;
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
import dev.spgateway.identity.ApiKeyAuthenticator;
import dev.spgateway.listener.Listeners;
import dev.spgateway.policy.PolicyEngine;
import dev.spgateway.policy.RoutePolicy;
import dev.spgateway.policy.batch.BatchJudge;
import dev.spgateway.proxy.Forwarder;
import dev.spgateway.proxy.Upstreams;
import dev.spgateway.ratelimit.RateLimiter;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running gateway: secrets loaded from Key Vault, callers' listener and admin port open. {@link #start}
 * builds every part once; the request path itself is {@link Pipeline}.
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

  private Gateway(Vertx vertx, Pipeline pipeline, Listeners.Listener listener, AdminServer admin, int adminPort,
      AuditLog audit, List<AutoCloseable> clients) {
    this.vertx = vertx;
    this.pipeline = pipeline;
    this.listener = listener;
    this.admin = admin;
    this.adminPort = adminPort;
    this.audit = audit;
    this.clients = clients;
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
    return vertx.executeBlocking(() -> new Resources(OutboundTrust.read(config.tls()),
            AuditWriter.open(config.audit(), config.clientIds(), registry)))
        .compose(resources -> start(vertx, config, registry, resources, clock));
  }

  private record Resources(OutboundTrust trust, AuditLog audit) {}

  private record Listening(Pipeline pipeline, Listeners.Listener listener) {}

  private static Future<Gateway> start(Vertx vertx, GatewayConfig config, PrometheusMeterRegistry registry,
      Resources resources, Clock clock) {
    OutboundTrust trust = resources.trust();
    WebClientOptions tokenClientOptions = new WebClientOptions().setFollowRedirects(false).setUserAgent("sp-gateway");
    trust.vertxOptions().ifPresent(tokenClientOptions::setTrustOptions);
    WebClient tokenClient = WebClient.create(vertx, tokenClientOptions);

    HttpClientOptions upstreamOptions = new HttpClientOptions().setKeepAlive(true).setDecompressionSupported(false);
    trust.vertxOptions().ifPresent(upstreamOptions::setTrustOptions);
    // TLS to the upstreams by OpenSSL (BoringSSL, from netty-tcnative) where it is there: less CPU per byte and
    // per handshake than the JDK's engine, which stays the fallback.
    if (OpenSSLEngineOptions.isAvailable()) upstreamOptions.setSslEngineOptions(new OpenSSLEngineOptions());
    // One client per event loop (see Forwarder), each with up to 64 connections per upstream.
    Forwarder forwarder = new Forwarder(() -> vertx.createHttpClient(upstreamOptions,
        new PoolOptions().setHttp1MaxSize(64)));

    RateLimiter limiter = RateLimiter.create(vertx, config.ratelimit(), config.callerLimits(), registry, clock);

    List<AutoCloseable> clients = List.of(tokenClient::close, forwarder::close, limiter::close);
    AtomicBoolean ready = new AtomicBoolean(); // written by the listener's event loop, read by the admin's
    AdminServer admin = new AdminServer(vertx, registry, ready::get, config.audit());
    return admin.listen(config.admin())
        .compose(adminServer -> loadSecrets(vertx, config, tokenClient, trust, registry)
            .compose(secrets -> {
              TokenService tokens = new TokenService(vertx, tokenClient, config.entra().authority(),
                  config.servicePrincipals(), secrets, config.entra().tokens(), registry);
              RoutePolicy policy = new PolicyEngine(config.routes(), config.upstreams());
              Pipeline pipeline = new Pipeline(new ApiKeyAuthenticator(config.apiKeys()), policy,
                  new BatchJudge(policy, config.batch(), config.upstreams()), new Upstreams(config.upstreams()), limiter,
                  tokens, forwarder, resources.audit(), registry);
              // Every copy of the listener shares the one pipeline: its state is safe across event loops.
              return Listeners.deploy(vertx, config.listener(), () -> pipeline)
                  .map(listener -> new Listening(pipeline, listener));
            })
            .map(listening -> {
              Listeners.Listener listener = listening.listener();
              ready.set(true);
              LOG.info("sp-gateway listening on {}:{} ({} event loops{}), admin on {}:{}", config.listener().host(),
                  listener.port(), config.listener().eventLoops(),
                  vertx.isNativeTransportEnabled() ? ", epoll" : "", config.admin().host(), adminServer.actualPort());
              return new Gateway(vertx, listening.pipeline(), listener, admin, adminServer.actualPort(),
                  resources.audit(), clients);
            }))
        .recover(failure -> admin.close()
            .eventually(() -> closeAll(resources.audit(), clients))
            .transform(closed -> Future.failedFuture(failure)));
  }

  /** Every secret the config names, read once from Key Vault. */
  private static Future<SecretStore> loadSecrets(Vertx vertx, GatewayConfig config, WebClient tokenClient,
      OutboundTrust trust, PrometheusMeterRegistry registry) {
    if (config.servicePrincipals().isEmpty()) return Future.succeededFuture(name -> {
      throw new IllegalStateException("no secret '" + name + "': no service principal is configured");
    });
    KeyVaultConfig vault = config.keyVault();
    var client = KeyVaultClients.secretClient(vault.url(),
        vaultCredential(vertx, vault, new TokenClient(tokenClient, config.entra().authority(), Clock.systemUTC()),
            config), trust.sslContext(), vault.clientSettings());
    var names = config.servicePrincipals().values().stream().map(sp -> sp.secret().keyVault())
        .collect(Collectors.toCollection(java.util.TreeSet::new));
    return KeyVaultSecrets.load(vertx, client, vault.url().toString(), names, registry).map(SecretStore.class::cast);
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
