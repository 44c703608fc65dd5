package dev.spgateway.sandbox;

import dev.spgateway.config.ConfigLoader;
import dev.spgateway.gateway.Gateway;
import dev.spgateway.gateway.LiveConfig;
import dev.spgateway.identity.ApiKeys;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The gateway with local stand-ins for Entra ID, Key Vault, Graph and a Dataverse environment, so a
 * newcomer sees a real call go through without an Azure tenant. The gateway runs exactly as under
 * {@code serve}: its config is {@code config/sandbox.yaml} with the stand-ins' addresses filled in.
 * Only the {@code sandbox} command starts this; {@code serve} never does.
 */
public final class Sandbox {

  public static final String TENANT = "5a9d0000-5a9d-4000-8000-00000000cafe";
  public static final String DATAVERSE_ENVIRONMENT = "https://contoso.crm.dynamics.com";
  /** The gateway's own app registration's application ID URI: what callers' tokens are for. */
  public static final String GATEWAY_AUDIENCE = "api://sp-gateway";
  /** The app role callers' Entra identities need (config/sandbox.yaml). */
  public static final String CALLER_ROLE = "Gateway.Call";
  private static final String FINANCE_SECRET_NAME = "finance-client-secret";

  private final Gateway gateway;
  private final LiveConfig live;
  private final EntraStandIn entra;
  private final KeyVaultStandIn vault;
  private final String callerKey;
  private final Path auditFile;
  private final Map<String, String> standIns;
  private final GraphStandIn graph;
  private final DataverseStandIn dataverse;
  private final ScriptIdentity script;

  /** The sandbox's script identity: an app registration with a client secret (in Azure: a managed identity). */
  public record ScriptIdentity(String clientId, String secret) {}

  private Sandbox(Gateway gateway, LiveConfig live, EntraStandIn entra, KeyVaultStandIn vault, String callerKey,
      Path auditFile, Map<String, String> standIns, GraphStandIn graph, DataverseStandIn dataverse,
      ScriptIdentity script) {
    this.script = script;
    this.gateway = gateway;
    this.live = live;
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
    return start(vertx, configFile, port, adminPort, workDir, true, java.time.Clock.systemUTC());
  }

  /** As above; {@code watch}: re-read the config when its file changes, not only on {@link #reload}. */
  public static Future<Sandbox> start(Vertx vertx, Path configFile, int port, int adminPort, Path workDir,
      boolean watch) {
    return start(vertx, configFile, port, adminPort, workDir, watch, java.time.Clock.systemUTC());
  }

  /** As above, with the gateway's time (token expiry, key refresh, budgets) read from {@code clock}. */
  public static Future<Sandbox> start(Vertx vertx, Path configFile, int port, int adminPort, Path workDir,
      boolean watch, java.time.Clock clock) {
    read(configFile); // a missing template fails here, with a hint, rather than inside the start
    SelfSignedTls tls = SelfSignedTls.generate();
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
      String issuer = entra.issuer(TENANT);
      String jwks = entra.jwksUrl(TENANT);
      var vault = new KeyVaultStandIn(vertx, new JwksBearerVerifier(vertx, jwks, issuer, KeyVaultStandIn.RESOURCE),
          TENANT, tls).putSecret(FINANCE_SECRET_NAME, financeSecret);
      var graph = new GraphStandIn(vertx, new JwksBearerVerifier(vertx, jwks, issuer, GraphStandIn.AUDIENCE));
      var dataverse = new DataverseStandIn(vertx, DATAVERSE_ENVIRONMENT,
          new JwksBearerVerifier(vertx, jwks, issuer, DATAVERSE_ENVIRONMENT)).tenant(TENANT);
      return Future.all(vault.start(), graph.start(), dataverse.start()).compose(all -> {
        Map<String, String> values = new HashMap<>();
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
        // Kept on its file like `serve`: re-read on SIGHUP and when the file changes.
        return vertx.executeBlocking(() -> environment.loadFile(configFile)).compose(loaded ->
            Gateway.start(vertx, loaded.config(), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), clock)
                .compose(gateway -> vertx.executeBlocking(() ->
                        LiveConfig.start(gateway, configFile, environment, loaded.sha256(), watch))
                    .map(live -> new Sandbox(gateway, live, entra, vault, callerKey, auditFile, standIns, graph,
                        dataverse, script))));
      });
    });
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

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the sandbox config " + file + " (run from the repository root, "
          + "or pass --config): " + e.getMessage(), e);
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
