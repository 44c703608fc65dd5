package dev.spgateway.ratelimit;

import static dev.spgateway.testing.Await.await;

import dev.spgateway.config.ConfigLoader;
import dev.spgateway.gateway.Gateway;
import dev.spgateway.identity.ApiKeys;
import dev.spgateway.sandbox.DataverseStandIn;
import dev.spgateway.sandbox.EntraStandIn;
import dev.spgateway.sandbox.JwksBearerVerifier;
import dev.spgateway.sandbox.KeyVaultStandIn;
import dev.spgateway.sandbox.SelfSignedTls;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A real gateway with its real neighbours (the sandbox's Entra ID, Key Vault and Dataverse stand-ins)
 * plus a {@link ThrottlingUpstream}, started on its own Vert.x with the caller limits and ratelimit
 * section a test gives, and budgets kept by the test's clock.
 *
 * <p>Upstreams: {@code graph} (the throttling upstream, kind graph), {@code slow-crm} (the same server,
 * kind dataverse, for the concurrency cap) and {@code crm} (the Dataverse stand-in, for its headers).
 */
final class LimitedGateway {

  static final String TENANT = "5a9d0000-5a9d-4000-8000-00000000cafe";
  static final String DATAVERSE = "https://contoso.crm.dynamics.com";

  private static final String CONFIG = """
      listener: { host: 127.0.0.1, port: 0, eventLoops: %3$s }
      admin: { host: 127.0.0.1, port: 0 }
      entra: { authority: "${AUTHORITY}" }
      keyVault:
        url: "${VAULT_URL}"
        maxRetries: 0
        credential: { tenant: "${TENANT}", clientId: "${READER_ID}", secret: "${READER_SECRET}" }
      tls: { trustPemFiles: [ "${TRUST_PEM}" ] }
      servicePrincipals:
        finance: { tenant: "${TENANT}", clientId: "${FINANCE_ID}", secret: { keyVault: finance-client-secret } }
      upstreams:
        graph: { url: "${THROTTLING_URL}", kind: graph, resource: https://graph.microsoft.com }
        slow-crm: { url: "${THROTTLING_URL}", kind: dataverse, resource: https://slow.crm.dynamics.com }
        crm: { url: "${DATAVERSE_URL}", kind: dataverse, resource: https://contoso.crm.dynamics.com }
      callers:
        invoice-flow:
          apiKey: { sha256: "${CALLER_KEY_SHA256}" }
          limits: %1$s
          routes:
            - { upstream: graph, as: finance, allow: [ "GET /v1.0/users" ] }
            - { upstream: slow-crm, as: finance, allow: [ "GET /api/data/v9.2/accounts" ] }
            - { upstream: crm, as: finance, allow: [ "GET /api/data/v9.2/WhoAmI" ] }
      audit: { file: "${AUDIT_FILE}" }
      ratelimit: %2$s
      """;

  final Vertx vertx;
  final EntraStandIn entra;
  final Gateway gateway;
  final ThrottlingUpstream upstream;
  final PrometheusMeterRegistry registry;
  final String callerKey;
  final Path auditFile;
  final WebClient client;

  private LimitedGateway(Vertx vertx, EntraStandIn entra, Gateway gateway, ThrottlingUpstream upstream,
      PrometheusMeterRegistry registry, String callerKey, Path auditFile) {
    this.vertx = vertx;
    this.entra = entra;
    this.gateway = gateway;
    this.upstream = upstream;
    this.registry = registry;
    this.callerKey = callerKey;
    this.auditFile = auditFile;
    this.client = WebClient.create(vertx);
  }

  /**
   * Starts it all and waits, from a test thread, up to a minute: the first start in a JVM loads the
   * Azure SDK and makes an RSA key pair, which on a busy machine takes longer than one await allows.
   */
  static LimitedGateway start(Path dir, Clock clock, String callerLimits, String ratelimit) {
    return start(dir, clock, callerLimits, ratelimit, null);
  }

  /** As above, serving callers on {@code eventLoops} event loops ({@code null}: the default, one per processor). */
  static LimitedGateway start(Path dir, Clock clock, String callerLimits, String ratelimit, Integer eventLoops) {
    return start(dir, clock, callerLimits, ratelimit, eventLoops, false);
  }

  /** As above; with {@code httpsUpstream}, the throttling upstream speaks HTTPS (a certificate the gateway trusts). */
  static LimitedGateway start(Path dir, Clock clock, String callerLimits, String ratelimit, Integer eventLoops,
      boolean httpsUpstream) {
    try {
      return starting(dir, clock, callerLimits, ratelimit, eventLoops, httpsUpstream).toCompletionStage()
          .toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("the gateway did not start: " + e.getCause(), e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new AssertionError("the gateway did not start within a minute", e);
    }
  }

  private static Future<LimitedGateway> starting(Path dir, Clock clock, String callerLimits, String ratelimit,
      Integer eventLoops, boolean httpsUpstream) {
    Vertx vertx = Vertx.vertx(Gateway.vertxOptions());
    SelfSignedTls tls = SelfSignedTls.generate();
    Path trustPem = write(dir.resolve("vault-" + UUID.randomUUID() + ".pem"), tls.certificatePem());
    Path auditFile = dir.resolve("audit-" + UUID.randomUUID() + ".jsonl");
    String financeId = UUID.randomUUID().toString();
    String financeSecret = ApiKeys.generate();
    String readerId = UUID.randomUUID().toString();
    String readerSecret = ApiKeys.generate();
    String callerKey = ApiKeys.generate();
    EntraStandIn entra = new EntraStandIn(vertx).registerApp(TENANT, financeId, financeSecret)
        .registerApp(TENANT, readerId, readerSecret);
    ThrottlingUpstream throttling = new ThrottlingUpstream(vertx, httpsUpstream ? tls.keyCertOptions() : null);
    return entra.start().compose(started -> {
      var vault = new KeyVaultStandIn(vertx, new JwksBearerVerifier(vertx, entra.jwksUrl(TENANT), entra.issuer(TENANT),
          KeyVaultStandIn.RESOURCE), TENANT, tls).putSecret("finance-client-secret", financeSecret);
      var dataverse = new DataverseStandIn(vertx, DATAVERSE, new JwksBearerVerifier(vertx, entra.jwksUrl(TENANT),
          entra.issuer(TENANT), DATAVERSE)).tenant(TENANT);
      return Future.all(vault.start(), dataverse.start(), throttling.start()).compose(all -> {
        Map<String, String> values = new HashMap<>();
        values.put("AUTHORITY", entra.baseUrl());
        values.put("TENANT", TENANT);
        values.put("VAULT_URL", vault.vaultUrl());
        values.put("READER_ID", readerId);
        values.put("READER_SECRET", readerSecret);
        values.put("TRUST_PEM", trustPem.toString());
        values.put("FINANCE_ID", financeId);
        values.put("THROTTLING_URL", throttling.baseUrl());
        values.put("DATAVERSE_URL", dataverse.baseUrl());
        values.put("CALLER_KEY_SHA256", ApiKeys.sha256Hex(callerKey));
        values.put("AUDIT_FILE", auditFile.toString());
        var config = new ConfigLoader(values::get).parse("limited-gateway.yaml",
            CONFIG.formatted(callerLimits, ratelimit, eventLoops == null ? "null" : eventLoops));
        var registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        return Gateway.start(vertx, config, registry, clock)
            .map(gateway -> new LimitedGateway(vertx, entra, gateway, throttling, registry, callerKey, auditFile));
      });
    });
  }

  /** {@code GET path} through the gateway as the caller, e.g. {@code /graph/v1.0/users}. */
  Future<HttpResponse<Buffer>> get(String path) {
    return client.get(gateway.port(), "127.0.0.1", path).putHeader(ApiKeys.HEADER, callerKey).send();
  }

  /** A metric's value as Prometheus scrapes it; {@code labels} as {@code limit="caller-rate"}. */
  double metric(String name, String... labels) {
    String scrape = registry.scrape();
    for (String line : scrape.split("\n")) {
      if (!line.startsWith(name + "{") && !line.startsWith(name + " ")) continue;
      if (java.util.Arrays.stream(labels).allMatch(line::contains)) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    throw new AssertionError("no metric " + name + " " + String.join(",", labels) + " in:\n" + scrape);
  }

  /**
   * Stops the gateway (writing out its audit records), then its Vert.x, waiting for each from the test
   * thread: a future completed as Vert.x shuts down would have no event loop left to report on.
   */
  void close() {
    client.close(); // first, so the listener has no open connection to wait for
    await(gateway.close());
    await(vertx.close());
  }

  private static Path write(Path file, String content) {
    try {
      return Files.writeString(file, content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
