package dev.spgateway.sandbox;

import dev.spgateway.config.ConfigLoader;
import dev.spgateway.config.GatewayConfig;
import dev.spgateway.gateway.Gateway;
import dev.spgateway.gateway.LiveConfig;
import dev.spgateway.identity.ApiKeys;
import dev.spgateway.logging.Logging;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The gateway with local stand-ins for Entra ID, Key Vault, Graph and a Dataverse environment, so a
 * newcomer sees a real call go through without an Azure tenant. The gateway runs exactly as under
 * {@code serve}: its config is {@code config/sandbox.yaml} (shipped inside the jar, so the sandbox runs from
 * any directory) with the stand-ins' addresses filled in. Only the {@code sandbox} command starts this;
 * {@code serve} never does.
 */
public final class Sandbox {

  public static final String TENANT = "5a9d0000-5a9d-4000-8000-00000000cafe";
  public static final String DATAVERSE_ENVIRONMENT = "https://contoso.crm.dynamics.com";
  /** The gateway's own app registration's application ID URI: what callers' tokens are for. */
  public static final String GATEWAY_AUDIENCE = "api://sp-gateway";
  /** The app role callers' Entra identities need (config/sandbox.yaml). */
  public static final String CALLER_ROLE = "Gateway.Call";
  private static final String FINANCE_SECRET_NAME = "finance-client-secret";
  /** {@code config/sandbox.yaml}, copied into the jar by the build. */
  private static final String BUNDLED_CONFIG = "sandbox.yaml";

  private final Gateway gateway;
  private final LiveConfig live;
  private final EntraStandIn entra;
  private final KeyVaultStandIn vault;
  private final String callerKey;
  private final Path auditFile;
  private final Map<String, String> standIns;
  private final GraphStandIn graph;
  private final DataverseStandIn dataverse;
  private final GatewayConfig config;
  private final ScriptIdentity script;

  /** The sandbox's script identity: an app registration with a client secret (in Azure: a managed identity). */
  public record ScriptIdentity(String clientId, String secret) {}

  private Sandbox(Gateway gateway, LiveConfig live, EntraStandIn entra, KeyVaultStandIn vault, String callerKey,
      Path auditFile, Map<String, String> standIns, GraphStandIn graph, DataverseStandIn dataverse,
      ScriptIdentity script, GatewayConfig config) {
    this.script = script;
    this.gateway = gateway;
    this.live = live;
    this.config = config;
    this.entra = entra;
    this.vault = vault;
    this.graph = graph;
    this.dataverse = dataverse;
    this.callerKey = callerKey;
    this.auditFile = auditFile;
    this.standIns = standIns;
  }

  /**
   * Starts the stand-ins, then the gateway. Blocking work (a key pair, a temporary folder) happens here
   * on the calling thread, so call it from a main thread or a worker, never from an event loop.
   */
  public static Future<Sandbox> start(Vertx vertx, Path configFile, int port, int adminPort, Path workDir) {
    return start(vertx, configFile, "127.0.0.1", port, adminPort, workDir, true, java.time.Clock.systemUTC());
  }

  /** As above; {@code watch}: re-read the config when its file changes, not only on {@link #reload}. */
  public static Future<Sandbox> start(Vertx vertx, Path configFile, int port, int adminPort, Path workDir,
      boolean watch) {
    return start(vertx, configFile, "127.0.0.1", port, adminPort, workDir, watch, java.time.Clock.systemUTC());
  }

  /** As above, with the gateway's time (token expiry, key refresh, budgets) read from {@code clock}. */
  public static Future<Sandbox> start(Vertx vertx, Path configFile, int port, int adminPort, Path workDir,
      boolean watch, java.time.Clock clock) {
    return start(vertx, configFile, "127.0.0.1", port, adminPort, workDir, watch, clock, (entra, financeClientId) -> {});
  }

  /**
   * As above; {@code beforeGateway} may tell the Entra ID stand-in to fail before the gateway's first token. It is
   * given the stand-in and the client id of the sandbox's service principal, {@code finance}.
   */
  static Future<Sandbox> start(Vertx vertx, Path configFile, int port, int adminPort, Path workDir, boolean watch,
      java.time.Clock clock, java.util.function.BiConsumer<EntraStandIn, String> beforeGateway) {
    return start(vertx, configFile, "127.0.0.1", port, adminPort, workDir, watch, clock, beforeGateway);
  }

  /**
   * As above, listening on {@code host}. A null {@code configFile} means the config shipped inside the jar: it is
   * copied into {@code workDir} and kept there, so it can be edited and reloaded like any other.
   */
  public static Future<Sandbox> start(Vertx vertx, Path configFile, String host, int port, int adminPort,
      Path workDir, boolean watch, java.time.Clock clock) {
    return start(vertx, configFile, host, port, adminPort, workDir, watch, clock, (entra, financeClientId) -> {});
  }

  private static Future<Sandbox> start(Vertx vertx, Path configFile, String host, int port, int adminPort,
      Path workDir, boolean watch, java.time.Clock clock, java.util.function.BiConsumer<EntraStandIn, String> beforeGateway) {
    Path file;
    try {
      // A missing template fails here, with a hint, rather than inside the start.
      file = configFile != null ? readable(configFile) : write(workDir.resolve(BUNDLED_CONFIG), bundledConfig());
    } catch (UncheckedIOException e) {
      return Future.failedFuture(e.getMessage());
    }
    SelfSignedTls tls = SelfSignedTls.generate();
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Path trustPem = write(workDir.resolve("sandbox-vault.pem"), tls.certificatePem());
    Path auditFile = workDir.resolve("audit.jsonl");
    String financeId = UUID.randomUUID().toString();
    String financeSecret = ApiKeys.generate();
    String vaultReaderId = UUID.randomUUID().toString();
    String vaultReaderSecret = ApiKeys.generate();
    String callerKey = ApiKeys.generate();
    ScriptIdentity script = new ScriptIdentity(UUID.randomUUID().toString(), ApiKeys.generate());
    String managedIdentityId = UUID.randomUUID().toString();

    EntraStandIn entra = new EntraStandIn(vertx)
        .registerApp(TENANT, financeId, financeSecret, "User.Read.All", "Mail.Send")
        .registerApp(TENANT, vaultReaderId, vaultReaderSecret)
        .registerApp(TENANT, script.clientId(), script.secret(), CALLER_ROLE)
        .managedIdentity(TENANT, managedIdentityId, CALLER_ROLE);
    return entra.start().compose(started -> {
      beforeGateway.accept(entra, financeId);
      String issuer = entra.issuer(TENANT);
      String jwks = entra.jwksUrl(TENANT);
      var vault = new KeyVaultStandIn(vertx, new JwksBearerVerifier(vertx, jwks, issuer, KeyVaultStandIn.RESOURCE),
          TENANT, tls).putSecret(FINANCE_SECRET_NAME, financeSecret);
      var graph = new GraphStandIn(vertx, new JwksBearerVerifier(vertx, jwks, issuer, GraphStandIn.AUDIENCE));
      var dataverse = new DataverseStandIn(vertx, DATAVERSE_ENVIRONMENT,
          new JwksBearerVerifier(vertx, jwks, issuer, DATAVERSE_ENVIRONMENT)).tenant(TENANT);
      return Future.all(vault.start(), graph.start(), dataverse.start()).compose(all -> {
        Map<String, String> values = new HashMap<>();
        values.put("SANDBOX_HOST", host);
        values.put("SANDBOX_PORT", Integer.toString(port));
        values.put("SANDBOX_ADMIN_PORT", Integer.toString(adminPort));
        values.put("SANDBOX_AUTHORITY", entra.baseUrl());
        values.put("SANDBOX_TENANT", TENANT);
        values.put("SANDBOX_VAULT_URL", vault.vaultUrl());
        values.put("SANDBOX_VAULT_READER_ID", vaultReaderId);
        values.put("SANDBOX_VAULT_READER_SECRET", vaultReaderSecret);
        values.put("SANDBOX_TRUST_PEM", trustPem.toString());
        values.put("SANDBOX_FINANCE_ID", financeId);
        values.put("SANDBOX_GRAPH_URL", graph.baseUrl());
        values.put("SANDBOX_DATAVERSE_URL", dataverse.baseUrl());
        values.put("SANDBOX_CALLER_KEY_SHA256", ApiKeys.sha256Hex(callerKey));
        values.put("SANDBOX_SCRIPT_ID", script.clientId());
        values.put("SANDBOX_MANAGED_IDENTITY_ID", managedIdentityId);
        values.put("SANDBOX_AUDIT_FILE", auditFile.toString());
        // The stand-ins' addresses first, then the environment, so a custom --config can add its own values.
        var environment = new ConfigLoader(name -> values.getOrDefault(name, System.getenv(name)));
        var standIns = Map.of("Entra ID", entra.baseUrl(), "Key Vault", vault.vaultUrl(), "Graph", graph.baseUrl(),
            "Dataverse", dataverse.baseUrl());
        // Kept on its file like `serve`: re-read on SIGHUP and when the file changes. Reading it and setting up
        // logging load many classes: a worker does it, not the event loop.
        return vertx.executeBlocking(() -> {
          ConfigLoader.Loaded loaded = environment.loadFile(file);
          Logging.apply(loaded.config().logging().withEnvironment(System::getenv));
          return loaded;
        }).compose(loaded -> Gateway.start(vertx, loaded.config(), registry, clock)
            .compose(gateway -> vertx.executeBlocking(() ->
                    LiveConfig.start(gateway, file, environment, loaded.sha256(), watch))
                .map(live -> new Sandbox(gateway, live, entra, vault, callerKey, auditFile, standIns, graph,
                    dataverse, script, loaded.config()))));
      });
    });
  }

  /** The config the gateway started with, the stand-ins' addresses filled in. */
  public GatewayConfig config() {
    return config;
  }

  public Gateway gateway() {
    return gateway;
  }

  /** The Entra ID stand-in: tokens for the script identity, the managed identity endpoint; tests register apps in
   * it, or make it fail. */
  public EntraStandIn entra() {
    return entra;
  }

  /** The app registration whose tokens the caller {@code nightly-report} is known by. */
  public ScriptIdentity script() {
    return script;
  }

  /** The Key Vault stand-in, for tests that add secrets. */
  public KeyVaultStandIn keyVault() {
    return vault;
  }

  /** The Graph stand-in, for tests that check what reached it. */
  public GraphStandIn graph() {
    return graph;
  }

  /** The Dataverse stand-in, for tests that check what reached it. */
  public DataverseStandIn dataverse() {
    return dataverse;
  }

  /**
   * Shell lines a person pastes to call the gateway as a script that holds no secret of its own: get a token
   * (from the managed identity endpoint, or as an app registration), call through the gateway (200), then a
   * garbage token (401 with {@code WWW-Authenticate}). Comments start with {@code #}.
   */
  public List<String> scriptTokenSequence() {
    String gateway = "http://127.0.0.1:" + gateway().port();
    String user = gateway + "/graph/v1.0/users/" + exampleUserId();
    String accessToken = " | sed -E 's/.*\"access_token\":\"([^\"]+)\".*/\\1/')";
    return List.of(
        "# As a managed identity (in Azure: no secret anywhere; here the stand-in's IMDS-shaped endpoint):",
        "TOKEN=$(curl -s -H 'Metadata: true' '" + entra.baseUrl() + "/metadata/identity/oauth2/token?api-version=2018-02-01"
            + "&resource=" + GATEWAY_AUDIENCE + "'" + accessToken,
        "curl -i -H \"Authorization: Bearer $TOKEN\" " + user,
        "# As an app registration (client credentials; caller 'nightly-report'):",
        "TOKEN=$(curl -s -d grant_type=client_credentials -d client_id=" + script.clientId() + " -d client_secret="
            + script.secret() + " -d scope=" + GATEWAY_AUDIENCE + "/.default " + entra.tokenUrl(TENANT) + accessToken,
        "curl -i -H \"Authorization: Bearer $TOKEN\" " + user,
        "# A garbage (or expired) token: 401 with WWW-Authenticate saying why",
        "curl -i -H 'Authorization: Bearer not-a-token' " + user);
  }

  /** The key of the sandbox's API-key caller, {@code invoice-flow}. */
  public String callerKey() {
    return callerKey;
  }

  public Path auditFile() {
    return auditFile;
  }

  /** Stand-in name → base URL. */
  public Map<String, String> standIns() {
    return standIns;
  }

  /** A user id the sandbox's Graph knows, for example calls. */
  public String exampleUserId() {
    return GraphStandIn.userIds().get(0);
  }

  /** Re-reads the config file, as SIGHUP does. */
  public Future<LiveConfig.Outcome> reload(String trigger) {
    return live.reload(trigger);
  }

  public Future<Void> close() {
    live.close();
    return gateway.close(); // the stand-ins stop with Vert.x
  }

  private static Path readable(Path file) {
    try {
      Files.readString(file);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the sandbox config " + file.toAbsolutePath() + " (" + e
          + "); leave out --config to use the one inside the jar", e);
    }
  }

  private static String bundledConfig() {
    try (InputStream in = Sandbox.class.getResourceAsStream(BUNDLED_CONFIG)) {
      if (in == null) throw new IOException("resource missing");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("this build has no " + BUNDLED_CONFIG + " inside (" + e.getMessage()
          + "); rebuild it with mvn package, or pass --config config/sandbox.yaml", e);
    }
  }

  private static Path write(Path file, String content) {
    try {
      Files.createDirectories(file.getParent());
      return Files.writeString(file, content);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }
}
