package dev.spgateway.credential;

import static dev.spgateway.testing.Await.awaitFailure;
import static dev.spgateway.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.http.MockWebServerWrapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** TokenService against mock-oauth2-server playing Entra ID: real HTTP, real signed JWTs. */
@ExtendWith(VertxExtension.class)
class TokenServiceTest {

  static final String TENANT = "72f988bf-0000-0000-0000-2d7cd011db47";
  static final String GRAPH = "https://graph.microsoft.com/.default";
  static final String DATAVERSE = "https://contoso.crm.dynamics.com/.default";
  static final Map<String, ServicePrincipalConfig> PRINCIPALS = Map.of(
      "finance", new ServicePrincipalConfig(TENANT, "1b4c0000-0000-0000-0000-00000000a11c", new SecretReference("finance-client-secret")),
      "hr", new ServicePrincipalConfig(TENANT, "2c5d0000-0000-0000-0000-00000000b22d", new SecretReference("hr-client-secret")));
  static final Map<String, String> SECRETS = Map.of(
      "finance-client-secret", "finance-s3cret-value",
      "hr-client-secret", "hr-s3cret-value");

  static MockOAuth2Server entra;

  MeterRegistry registry;
  TokenService service;

  @BeforeAll
  static void startEntra() throws Exception {
    entra = new MockOAuth2Server();
    entra.start(InetAddress.getByName("127.0.0.1"), 0);
  }

  @AfterAll
  static void stopEntra() {
    entra.shutdown();
  }

  @BeforeEach
  void newService(Vertx vertx) {
    registry = new SimpleMeterRegistry();
    URI authority = URI.create("http://127.0.0.1:" + entra.baseUrl().port());
    service = new TokenService(vertx, WebClient.create(vertx), authority, PRINCIPALS, storeOf(SECRETS),
        TokenSettings.defaults(), registry, Clock.systemUTC());
  }

  static SecretStore storeOf(Map<String, String> secrets) {
    return name -> {
      String value = secrets.get(name);
      if (value == null) {
        throw new IllegalStateException("secret '" + name + "' was not loaded from Key Vault");
      }
      return value;
    };
  }

  /** Every HTTP request mock-oauth2-server has answered since it started. */
  static int requestsAtEntra() {
    return ((MockWebServerWrapper) entra.getConfig().getHttpServer()).getMockWebServer().getRequestCount();
  }

  static JsonObject claims(AccessToken token) {
    String payload = token.value().split("\\.")[1];
    return new JsonObject(new String(Base64.getUrlDecoder().decode(payload), StandardCharsets.UTF_8));
  }

  @Test
  void twoHundredConcurrentFirstCallersShareOneTokenRequest() throws Exception {
    int before = requestsAtEntra();
    int threads = 4;
    CyclicBarrier start = new CyclicBarrier(threads);
    List<Future<AccessToken>> calls = new ArrayList<>();
    ExecutorService callers = Executors.newFixedThreadPool(threads);
    List<java.util.concurrent.Future<List<Future<AccessToken>>>> batches = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      batches.add(callers.submit(() -> {
        start.await();
        List<Future<AccessToken>> batch = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
          batch.add(service.token("finance", GRAPH));
        }
        return batch;
      }));
    }
    for (var batch : batches) {
      calls.addAll(batch.get(10, TimeUnit.SECONDS));
    }
    callers.shutdown();

    List<AccessToken> tokens = await(Future.all(calls)).list();

    assertThat(tokens).hasSize(200).containsOnly(tokens.get(0));
    assertThat(requestsAtEntra() - before).isEqualTo(1);
    assertThat(registry.get("gateway.token.requests").tags("service_principal", "finance", "outcome", "success")
        .counter().count()).isEqualTo(1);
    assertThat(registry.get("gateway.token.request.duration").tag("service_principal", "finance")
        .timer().count()).isEqualTo(1);
  }

  @Test
  void tokenIsAClientCredentialsJwtForTheScopeAsked() {
    AccessToken token = await(service.token("finance", GRAPH));

    JsonObject claims = claims(token);
    // mock-oauth2-server 5.0.2 puts the scope as asked into aud; Entra would put the resource
    // there (https://graph.microsoft.com or Graph's app id), without "/.default". It sets sub to the
    // client id, has no azp/appid/roles, and its tid is the whole issuer id, not the tenant.
    assertThat(claims.getString("aud")).isEqualTo(GRAPH);
    assertThat(claims.getString("sub")).isEqualTo("1b4c0000-0000-0000-0000-00000000a11c");
    assertThat(claims.getString("iss")).endsWith("/" + TENANT + "/oauth2/v2.0");
    assertThat(token.expiresAt())
        .isCloseTo(Instant.ofEpochSecond(claims.getLong("exp")), within(5, ChronoUnit.SECONDS));
  }

  @Test
  void separateTokensPerServicePrincipalAndScope() {
    int before = requestsAtEntra();

    AccessToken financeGraph = await(service.token("finance", GRAPH));
    AccessToken financeDataverse = await(service.token("finance", DATAVERSE));
    AccessToken hrGraph = await(service.token("hr", GRAPH));

    assertThat(List.of(financeGraph.value(), financeDataverse.value(), hrGraph.value())).doesNotHaveDuplicates();
    assertThat(requestsAtEntra() - before).isEqualTo(3);
    assertThat(claims(financeDataverse).getString("aud")).isEqualTo(DATAVERSE);
    assertThat(claims(hrGraph).getString("sub")).isEqualTo("2c5d0000-0000-0000-0000-00000000b22d");
    // cached from here on
    assertThat(await(service.token("finance", GRAPH))).isEqualTo(financeGraph);
    assertThat(await(service.token("hr", GRAPH))).isEqualTo(hrGraph);
    assertThat(requestsAtEntra() - before).isEqualTo(3);
  }

  @Test
  void evictingTheCurrentTokenFetchesANewOne() {
    AccessToken first = await(service.token("finance", GRAPH));
    int before = requestsAtEntra();

    service.evict("finance", GRAPH, first);
    AccessToken second = await(service.token("finance", GRAPH));

    assertThat(second.value()).isNotEqualTo(first.value());
    assertThat(requestsAtEntra() - before).isEqualTo(1);
  }

  @Test
  void evictingAStaleTokenKeepsTheCurrentOne() {
    AccessToken first = await(service.token("finance", GRAPH));
    service.evict("finance", GRAPH, first);
    AccessToken second = await(service.token("finance", GRAPH));
    int before = requestsAtEntra();

    service.evict("finance", GRAPH, first); // a late 401 for the token already replaced

    assertThat(await(service.token("finance", GRAPH))).isEqualTo(second);
    assertThat(requestsAtEntra() - before).isZero();
  }

  @Test
  void unknownServicePrincipalFailsWithoutARequest() {
    int before = requestsAtEntra();

    Throwable failure = awaitFailure(service.token("payroll", GRAPH));

    assertThat(failure).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("unknown service principal 'payroll'; configured: [finance, hr]");
    assertThat(requestsAtEntra() - before).isZero();
  }

  @Test
  void completesOnEachCallersContext(Vertx vertx, VertxTestContext test) {
    Context first = vertx.getOrCreateContext();
    Context second = vertx.getOrCreateContext();
    assertThat(first).isNotSameAs(second);
    var bothDone = test.checkpoint(2);
    // The first caller starts the request; the second waits on the same load from another event loop.
    first.runOnContext(v -> service.token("hr", DATAVERSE).onComplete(test.succeeding(token -> test.verify(() -> {
      assertThat(Vertx.currentContext()).isSameAs(first);
      bothDone.flag();
    }))));
    second.runOnContext(v -> service.token("hr", DATAVERSE).onComplete(test.succeeding(token -> test.verify(() -> {
      assertThat(Vertx.currentContext()).isSameAs(second);
      bothDone.flag();
    }))));
  }
}
