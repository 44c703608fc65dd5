package dev.spgateway.gateway;

import com.azure.core.credential.TokenCredential;
import com.azure.identity.DefaultAzureCredentialBuilder;
import dev.spgateway.admin.AdminServer;
import dev.spgateway.audit.AuditLog;
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
import dev.spgateway.identity.ApiKeyAuthenticator;
import dev.spgateway.policy.PolicyEngine;
import dev.spgateway.policy.RoutePolicy;
import dev.spgateway.policy.batch.BatchJudge;
import dev.spgateway.proxy.Forwarder;
import dev.spgateway.proxy.Upstream;
import dev.spgateway.proxy.Upstreams;
import dev.spgateway.ratelimit.RateLimiter;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicBoolean;
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
  private final HttpServer listener;
  private final AdminServer admin;
  private final int adminPort;
  private final AuditLog audit;
  private final List<AutoCloseable> clients;
  private final TokenService tokens;
  private final KeyVaultSecrets secrets;
  private final CredentialFactory credentials;

  private Gateway(Vertx vertx, Pipeline pipeline, HttpServer listener, AdminServer admin, int adminPort,
      AuditLog audit, List<AutoCloseable> clients, TokenService tokens, KeyVaultSecrets secrets,
      CredentialFactory credentials) {
    this.credentials = credentials;
    this.tokens = tokens;
    this.secrets = secrets;
    this.vertx = vertx;
    this.pipeline = pipeline;
    this.listener = listener;
    this.admin = admin;
    this.adminPort = adminPort;
    this.audit = audit;
    this.clients = clients;
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

  private record Listening(Pipeline pipeline, HttpServer server) {}

  private static Future<Gateway> start(Vertx vertx, GatewayConfig config, PrometheusMeterRegistry registry,
      Resources resources, Clock clock) {
    OutboundTrust trust = resources.trust();
    WebClientOptions tokenClientOptions = new WebClientOptions().setFollowRedirects(false).setUserAgent("sp-gateway");
    trust.vertxOptions().ifPresent(tokenClientOptions::setTrustOptions);
    WebClient tokenClient = WebClient.create(vertx, tokenClientOptions);

    HttpClientOptions upstreamOptions = new HttpClientOptions().setKeepAlive(true).setDecompressionSupported(false);
    trust.vertxOptions().ifPresent(upstreamOptions::setTrustOptions);
    HttpClient upstreamClient = vertx.createHttpClient(upstreamOptions, new PoolOptions().setHttp1MaxSize(64));

    RateLimiter limiter = RateLimiter.create(vertx, config.ratelimit(), config.callerLimits(), registry, clock);

    List<AutoCloseable> clients = new ArrayList<>(List.of(tokenClient::close, upstreamClient::close, limiter::close));
    AtomicBoolean ready = new AtomicBoolean(); // written by the listener's event loop, read by the admin's
    AtomicReference<TokenService> tokenService = new AtomicReference<>();
    AtomicReference<KeyVaultSecrets> vaultSecrets = new AtomicReference<>();
    AtomicBoolean tokensAskedFor = new AtomicBoolean();
    AdminServer admin = new AdminServer(vertx, registry, () -> ready.get() && tokensAskedFor.get(),
        () -> tokenService.get() == null ? Map.of() : tokenService.get().unready(), config.audit());
    Upstreams upstreams = new Upstreams(config.upstreams());
    return admin.listen(config.admin())
        .compose(adminServer -> loadSecrets(vertx, config, tokenClient, trust, registry, clock)
            .compose(secrets -> {
              if (secrets instanceof KeyVaultSecrets vault) {
                vaultSecrets.set(vault);
                vault.refreshEvery(config.keyVault().refresh());
                clients.add(vault::close);
              }
              TokenService tokens = new TokenService(vertx, Credentials.create(vertx, tokenClient,
                  config.entra().authority(), config.servicePrincipals(), secrets, clock), config.entra().tokens(),
                  registry, clock);
              tokenService.set(tokens);
              // Every token the routes need, asked for at start (callers arriving meanwhile share those requests):
              // a principal that cannot get one is named in the log and in /health/ready, and the others serve.
              tokens.warmUp(tokenKeys(config, upstreams)).onComplete(done -> tokensAskedFor.set(true));
              return Future.succeededFuture(tokens);
            })
            .compose(tokens -> {
              RoutePolicy policy = new PolicyEngine(config.routes(), config.upstreams());
              Pipeline pipeline = new Pipeline(new ApiKeyAuthenticator(config.apiKeys()), policy,
                  new BatchJudge(policy, config.batch(), config.upstreams()), upstreams, limiter,
                  tokens, new Forwarder(upstreamClient), resources.audit(), registry);
              return vertx.createHttpServer(new HttpServerOptions().setCompressionSupported(false))
                  .requestHandler(pipeline)
                  .listen(config.listener().port(), config.listener().host())
                  .map(server -> new Listening(pipeline, server));
            })
            .map(listening -> {
              HttpServer listener = listening.server();
              ready.set(true);
              LOG.info("sp-gateway listening on {}:{}, admin on {}:{}", config.listener().host(), listener.actualPort(),
                  config.admin().host(), adminServer.actualPort());
              return new Gateway(vertx, listening.pipeline(), listener, admin, adminServer.actualPort(),
                  resources.audit(), clients, tokenService.get(), vaultSecrets.get(),
                  principals -> Credentials.create(vertx, tokenClient, config.entra().authority(), principals,
                      vaultSecrets.get() == null ? (SecretStore) noVault() : vaultSecrets.get(), clock));
            }))
        .recover(failure -> admin.close()
            .eventually(() -> closeAll(resources.audit(), clients))
            .transform(closed -> Future.failedFuture(failure)));
  }

  /** Service principal → the scopes of the upstreams its routes reach. */
  static Map<String, Set<String>> tokenKeys(GatewayConfig config, Upstreams upstreams) {
    Map<String, Set<String>> keys = new TreeMap<>();
    config.routes().values().forEach(routes -> routes.forEach(route -> {
      Upstream upstream = upstreams.get(route.upstream());
      if (upstream != null && route.as() != null) keys.computeIfAbsent(route.as(), sp -> new TreeSet<>()).add(upstream.scope());
    }));
    return keys;
  }

  private static SecretStore noVault() {
    return name -> {
      throw new IllegalStateException("no secret '" + name + "': no service principal read one from Key Vault at start");
    };
  }

  /** Builds credentials from a {@code servicePrincipals} slice, with the gateway's token client and secrets. */
  private interface CredentialFactory {
    Credentials create(Map<String, ServicePrincipalConfig> principals);
  }

  /** Every secret and certificate the config names, read from Key Vault, then refreshed on a schedule. */
  private static Future<SecretStore> loadSecrets(Vertx vertx, GatewayConfig config, WebClient tokenClient,
      OutboundTrust trust, PrometheusMeterRegistry registry, Clock clock) {
    Set<String> names = Credentials.keyVaultSecrets(config.servicePrincipals());
    if (names.isEmpty()) return Future.succeededFuture(noVault());
    KeyVaultConfig vault = config.keyVault();
    var credential = vaultCredential(vertx, vault,
        new TokenClient(tokenClient, config.entra().authority(), Clock.systemUTC()), config);
    // Building the SDK client loads and initialises much of the Azure SDK: seconds on a busy machine, so a worker.
    return vertx.executeBlocking(() -> KeyVaultClients.secretClient(vault.url(), credential, trust.sslContext(),
            vault.clientSettings()), false)
        .compose(client -> KeyVaultSecrets.load(vertx, client, vault.url().toString(), names, registry, clock,
            vault.expiryWarning()))
        .map(SecretStore.class::cast);
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

  /**
   * For a config reload, before the swap: reads from Key Vault the secrets and certificates that principals new in
   * {@code principals} need, and builds every principal's credential. Nothing in use changes; apply the result with
   * {@link #swapCredentials}. Fails, naming each secret, when one cannot be read (the old config stays), or when
   * the new config needs Key Vault and the gateway started without it (a restart is needed).
   */
  public Future<Credentials> loadCredentials(Map<String, ServicePrincipalConfig> principals) {
    Set<String> names = Credentials.keyVaultSecrets(principals);
    if (!names.isEmpty() && secrets == null) {
      return Future.failedFuture(new IllegalStateException("service principals now read secrets from Key Vault, "
          + "which this gateway did not use at start: restart it to apply keyVault"));
    }
    Future<Void> read = names.isEmpty() ? Future.succeededFuture() : secrets.ensure(names);
    return read.map(done -> credentials.create(principals).keepingUnchanged(tokens.credentials()));
  }

  /**
   * Swaps in credentials from {@link #loadCredentials}: unchanged principals keep their cached tokens, changed or
   * removed ones drop theirs; then asks for the tokens the new routes use, so readiness reflects the new config.
   *
   * @param tokenKeys service principal → the scopes of the upstreams its routes reach
   */
  public Future<Void> swapCredentials(Credentials next, Map<String, ? extends java.util.Collection<String>> tokenKeys) {
    tokens.update(next);
    return tokens.warmUp(tokenKeys);
  }

  /** The token service, for tests that wait for its background requests. */
  TokenService tokens() {
    return tokens;
  }

  /** What the {@code keyVault.refresh} timer does, for tests that rotate a secret without waiting an hour. */
  Future<Void> refreshSecrets() {
    return secrets == null ? Future.succeededFuture() : secrets.refreshAll();
  }

  public int port() {
    return listener.actualPort();
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
