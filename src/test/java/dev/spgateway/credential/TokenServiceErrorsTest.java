package dev.spgateway.credential;

import static dev.spgateway.testing.Await.awaitFailure;
import static dev.spgateway.testing.Await.await;
import static dev.spgateway.credential.TokenServiceTest.GRAPH;
import static dev.spgateway.credential.TokenServiceTest.PRINCIPALS;
import static dev.spgateway.credential.TokenServiceTest.SECRETS;
import static dev.spgateway.credential.TokenServiceTest.storeOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.client.WebClient;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import dev.spgateway.testing.MutableClock;
import java.time.Instant;
import java.time.Duration;
import java.util.Map;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What operators see when Entra says no or cannot be reached. A stand-in answers with Entra's real
 * error bodies: mock-oauth2-server accepts any client secret, so it cannot produce them.
 */
@ExtendWith(VertxExtension.class)
class TokenServiceErrorsTest {

  static final String SECRET = SECRETS.get("finance-client-secret");

  Vertx vertx;
  EntraStub entra;
  MeterRegistry registry;
  final MutableClock clock = new MutableClock(Instant.parse("2026-11-22T10:00:00Z"));

  @BeforeEach
  void start(Vertx vertx) {
    this.vertx = vertx;
    entra = await(EntraStub.start(vertx));
    registry = new SimpleMeterRegistry();
  }

  @AfterEach
  void stop() {
    await(entra.close());
  }

  TokenService service(URI authority, TokenSettings settings, Map<String, String> secrets) {
    return new TokenService(vertx, WebClient.create(vertx), authority, PRINCIPALS, storeOf(secrets), settings,
        registry, clock);
  }

  TokenService service() {
    return service(entra.authority(), TokenSettings.defaults(), SECRETS);
  }

  double requests(String outcome) {
    var counter = registry.find("gateway.token.requests").tags("service_principal", "finance", "outcome", outcome).counter();
    return counter == null ? 0 : counter.count();
  }

  /** An expected failure is one log line: no stack trace, and nothing from Caffeine ("Exception thrown during asynchronous load"). */
  @Test
  void aFailedTokenRequestLogsOneLineAndNoStackTrace() {
    entra.answer = EntraStub.entraError(401, "invalid_client", 7_000_215);
    java.util.List<java.util.logging.LogRecord> caffeine = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.logging.Logger caffeineLogger = java.util.logging.Logger.getLogger("com.github.benmanes.caffeine");
    java.util.logging.Handler handler = new java.util.logging.Handler() {
      @Override public void publish(java.util.logging.LogRecord record) { caffeine.add(record); }
      @Override public void flush() {}
      @Override public void close() {}
    };
    caffeineLogger.addHandler(handler);
    ByteArrayOutputStream logs = new ByteArrayOutputStream();
    PrintStream stderr = System.err;
    System.setErr(new PrintStream(logs, true, StandardCharsets.UTF_8));
    try {
      TokenService service = service();
      awaitFailure(service.token("finance", GRAPH));
      awaitFailure(service.token("finance", GRAPH)); // within the back-off: answered from the failure, not logged
    } finally {
      System.setErr(stderr);
      caffeineLogger.removeHandler(handler);
    }
    assertThat(caffeine).isEmpty();
    String logged = logs.toString(StandardCharsets.UTF_8);
    assertThat(logged.lines().filter(line -> !line.isBlank())).hasSize(1).allMatch(line -> line.contains("AADSTS7000215"));
    assertThat(entra.requests()).isEqualTo(1);
    assertThat(logged).doesNotContain("\tat ", "Exception thrown");
  }

  @Test
  void wrongSecretNamesTheEntraErrorButNeverTheSecret() {
    entra.answer = EntraStub.entraError(401, "invalid_client", 7_000_215);
    ByteArrayOutputStream logs = new ByteArrayOutputStream();
    PrintStream stderr = System.err;
    Throwable failure;
    System.setErr(new PrintStream(logs, true, StandardCharsets.UTF_8)); // where slf4j-simple writes
    try {
      failure = awaitFailure(service().token("finance", GRAPH));
    } finally {
      System.setErr(stderr);
    }

    assertThat(entra.forms).singleElement().satisfies(form -> {
      assertThat(form.get("grant_type")).isEqualTo("client_credentials");
      assertThat(form.get("client_id")).isEqualTo("1b4c0000-0000-0000-0000-00000000a11c");
      assertThat(form.get("client_secret")).isEqualTo(SECRET);
      assertThat(form.get("scope")).isEqualTo(GRAPH);
    });
    assertThat(failure).isInstanceOfSatisfying(TokenException.class, e -> {
      assertThat(e.servicePrincipal()).isEqualTo("finance");
      assertThat(e.status()).hasValue(401);
      assertThat(e.error()).hasValue("invalid_client");
      assertThat(e.aadstsCode()).hasValue("AADSTS7000215");
      assertThat(e.traceId()).hasValue("0a1b2c3d-0000-4000-8000-00000000abcd");
      assertThat(e.correlationId()).hasValue("9f8e7d6c-0000-4000-8000-00000000dcba");
      assertThat(e.retryable()).isFalse();
      assertThat(e).hasMessage("token request for service principal 'finance' (client 1b4c0000-0000-0000-0000-00000000a11c)"
          + " failed: 401 invalid_client AADSTS7000215"
          + " (trace 0a1b2c3d-0000-4000-8000-00000000abcd, correlation 9f8e7d6c-0000-4000-8000-00000000dcba)");
    });
    String logged = logs.toString(StandardCharsets.UTF_8);
    assertThat(logged).contains("AADSTS7000215").doesNotContain(SECRET).doesNotContain("client_secret");
    assertThat(requests("invalid_client")).isEqualTo(1);
  }

  @Test
  void aTokenInAnUnusableAnswerIsNotRepeated() {
    entra.answer = EntraStub.raw(200, "application/json", "{\"access_token\":\"eyJ0eXAi.leaked.sig\",\"token_type\":\"Bearer\"}");

    Throwable failure = awaitFailure(service().token("finance", GRAPH));

    assertThat(failure).isInstanceOfSatisfying(TokenException.class, e -> {
      assertThat(e.outcome()).isEqualTo(TokenException.INVALID_RESPONSE);
      assertThat(e).hasMessageEndingWith("failed: 200 answer has no access_token with a positive expires_in or a future expires_on")
          .hasMessageNotContaining("eyJ0eXAi");
    });
    assertThat(requests("invalid_response")).isEqualTo(1);
  }

  @Test
  void garbageInAnErrorAnswerIsNotRepeated() {
    entra.answer = EntraStub.raw(400, "application/json",
        "{\"error\":\"eyJ0eXAi.leaked.sig\",\"error_codes\":[\"x\"],\"trace_id\":\"<script>\"}");

    Throwable failure = awaitFailure(service().token("finance", GRAPH));

    assertThat(failure).isInstanceOfSatisfying(TokenException.class, e -> {
      assertThat(e.error()).isEmpty();
      assertThat(e.outcome()).isEqualTo("http_400");
      assertThat(e).hasMessageEndingWith("failed: 400").hasMessageNotContaining("eyJ0eXAi");
    });
  }

  @Test
  void aNonJsonServerErrorIsRetryable() {
    entra.answer = EntraStub.raw(502, "text/html; charset=utf-8", "<html><body>Bad Gateway</body></html>");

    Throwable failure = awaitFailure(service().token("finance", GRAPH));

    assertThat(failure).isInstanceOfSatisfying(TokenException.class, e -> {
      assertThat(e.status()).hasValue(502);
      assertThat(e.retryable()).isTrue();
      assertThat(e.outcome()).isEqualTo("http_502");
      assertThat(e).hasMessageEndingWith("failed: 502 with a non-JSON answer (text/html)");
    });
    assertThat(requests("http_502")).isEqualTo(1);
  }

  @Test
  void aClosedPortIsUnreachableAndRetryable() {
    HttpServer closed = await(vertx.createHttpServer().requestHandler(r -> {}).listen(0, "127.0.0.1"));
    URI authority = URI.create("http://127.0.0.1:" + closed.actualPort());
    await(closed.close());

    Throwable failure = awaitFailure(service(authority, TokenSettings.defaults(), SECRETS).token("finance", GRAPH));

    assertThat(failure).isInstanceOfSatisfying(TokenException.class, e -> {
      assertThat(e.status()).isEmpty();
      assertThat(e.retryable()).isTrue();
      assertThat(e.outcome()).isEqualTo(TokenException.UNREACHABLE);
      assertThat(e).hasMessageContaining("failed: token endpoint " + authority + "/" + TokenServiceTest.TENANT
          + "/oauth2/v2.0/token unreachable");
    });
    assertThat(requests("unreachable")).isEqualTo(1);
  }

  @Test
  void anEndpointThatNeverAnswersTimesOut() {
    entra.answer = ctx -> {}; // hold the request forever
    TokenSettings impatient = new TokenSettings(null, Duration.ofMillis(200));

    Throwable failure = awaitFailure(service(entra.authority(), impatient, SECRETS).token("finance", GRAPH));

    assertThat(failure).isInstanceOfSatisfying(TokenException.class, e -> {
      assertThat(e.status()).isEmpty();
      assertThat(e.retryable()).isTrue();
      assertThat(e.outcome()).isEqualTo(TokenException.TIMEOUT);
    });
    assertThat(requests("timeout")).isEqualTo(1);
  }

  @Test
  void aMissingSecretFailsWithoutARequest() {
    Throwable failure = awaitFailure(service(entra.authority(), TokenSettings.defaults(), Map.of()).token("finance", GRAPH));

    assertThat(failure).isInstanceOfSatisfying(TokenException.class, e -> {
      assertThat(e.retryable()).isFalse();
      assertThat(e.outcome()).isEqualTo(TokenException.SECRET_UNAVAILABLE);
      assertThat(e).hasMessageContaining("'finance-client-secret'");
    });
    assertThat(entra.requests()).isZero();
    assertThat(requests("secret_unavailable")).isEqualTo(1);
  }

  @Test
  void aFailureIsRememberedForTheBackOffThenOneAttemptRecovers() {
    entra.answer = EntraStub.entraError(503, "temporarily_unavailable", 50_001);
    TokenService service = service();
    awaitFailure(service.token("finance", GRAPH));
    entra.answer = entra.issuing(3600);

    // Within the back-off the caller is answered from the failure, with when to come back; Entra is not asked.
    Throwable remembered = awaitFailure(service.token("finance", GRAPH));
    assertThat(remembered).isInstanceOfSatisfying(TokenException.class, e -> {
      assertThat(e.error()).hasValue("temporarily_unavailable");
      assertThat(e.retryAfterSeconds().getAsLong()).isBetween(1L, 3L);
    });
    assertThat(entra.requests()).isEqualTo(1);

    clock.advance(TokenService.FIRST_BACK_OFF);
    awaitFailure(service.token("finance", GRAPH)); // answered at once; starts the one attempt behind it
    await(service.pendingRefresh("finance", GRAPH));

    assertThat(await(service.token("finance", GRAPH)).value()).isEqualTo("token-1");
    assertThat(entra.requests()).isEqualTo(2);
    assertThat(requests("temporarily_unavailable")).isEqualTo(1);
    assertThat(requests("success")).isEqualTo(1);
  }
}
