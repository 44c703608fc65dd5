package dev.spgateway.credential;

import dev.spgateway.testing.MutableClock;
import static dev.spgateway.testing.Await.awaitFailure;
import static dev.spgateway.testing.Await.await;
import static dev.spgateway.credential.TokenServiceTest.GRAPH;
import static dev.spgateway.credential.TokenServiceTest.PRINCIPALS;
import static dev.spgateway.credential.TokenServiceTest.SECRETS;
import static dev.spgateway.credential.TokenServiceTest.storeOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Refresh ahead of expiry, with time moved by hand and a token endpoint that answers as told. */
@ExtendWith(VertxExtension.class)
class TokenServiceRefreshTest {

  EntraStub entra;
  MutableClock clock;
  MeterRegistry registry;
  TokenService service;

  @BeforeEach
  void start(Vertx vertx) {
    entra = await(EntraStub.start(vertx));
    clock = new MutableClock(Instant.parse("2026-11-22T10:00:00Z"));
    registry = new SimpleMeterRegistry();
    service = new TokenService(vertx, WebClient.create(vertx), entra.authority(), PRINCIPALS, storeOf(SECRETS),
        TokenSettings.defaults(), registry, clock);
  }

  @AfterEach
  void stop() {
    await(entra.close());
  }

  double requests(String outcome) {
    var counter = registry.find("gateway.token.requests").tags("service_principal", "finance", "outcome", outcome).counter();
    return counter == null ? 0 : counter.count();
  }

  @Test
  void insideTheRefreshWindowCallersGetTheCurrentTokenWhileOneRequestRenewsIt() {
    assertThat(await(service.token("finance", GRAPH)).value()).isEqualTo("token-1");
    clock.advance(Duration.ofMinutes(56)); // a 60-minute token is renewed in its last 5 minutes
    Promise<RoutingContext> renewal = Promise.promise();
    var issue = entra.issuing(3600);
    entra.answer = renewal::complete; // hold the renewal unanswered

    List<Future<AccessToken>> callers = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      callers.add(service.token("finance", GRAPH));
    }

    // They all complete while the renewal is still unanswered: nobody waits for it.
    assertThat(await(Future.all(callers)).<AccessToken>list()).extracting(AccessToken::value).containsOnly("token-1");
    RoutingContext held = await(renewal.future());
    assertThat(entra.requests()).isEqualTo(2);

    held.vertx().runOnContext(v -> issue.handle(held));
    await(service.pendingRefresh("finance", GRAPH));

    assertThat(await(service.token("finance", GRAPH)).value()).isEqualTo("token-2");
    clock.advance(Duration.ofMinutes(10)); // past token-1's expiry, well inside token-2's life
    assertThat(await(service.token("finance", GRAPH)).value()).isEqualTo("token-2");
    assertThat(entra.requests()).isEqualTo(2);
    assertThat(requests("success")).isEqualTo(2);
  }

  @Test
  void aFailedRefreshKeepsServingTheValidTokenThenFailsOnceItExpires() {
    AccessToken first = await(service.token("finance", GRAPH));
    entra.answer = EntraStub.entraError(503, "temporarily_unavailable", 50_001);
    clock.advance(Duration.ofMinutes(56));

    assertThat(await(service.token("finance", GRAPH))).isEqualTo(first);
    await(service.pendingRefresh("finance", GRAPH));
    assertThat(entra.requests()).isEqualTo(2);

    // No new attempt until the back-off has passed, however many callers come.
    assertThat(await(service.token("finance", GRAPH))).isEqualTo(first);
    assertThat(await(service.token("finance", GRAPH))).isEqualTo(first);
    assertThat(entra.requests()).isEqualTo(2);

    clock.advance(TokenService.FIRST_BACK_OFF);
    assertThat(await(service.token("finance", GRAPH))).isEqualTo(first);
    await(service.pendingRefresh("finance", GRAPH));
    assertThat(entra.requests()).isEqualTo(3);

    clock.advance(Duration.ofMinutes(4)); // 60 min + 2 s after the token was issued: expired
    // Entra ID is failing: the caller is answered from the remembered failure while one attempt goes on behind.
    Throwable failure = awaitFailure(service.token("finance", GRAPH));
    await(service.pendingRefresh("finance", GRAPH));

    assertThat(failure).isInstanceOfSatisfying(TokenException.class, e -> {
      assertThat(e.status()).hasValue(503);
      assertThat(e.error()).hasValue("temporarily_unavailable");
      assertThat(e.retryable()).isTrue();
      assertThat(e.retryAfterSeconds()).isPresent();
    });
    assertThat(entra.requests()).isEqualTo(4);
    assertThat(requests("success")).isEqualTo(1);
    assertThat(requests("temporarily_unavailable")).isEqualTo(3);
  }

  @Test
  void aTokenIsNotHandedOutInTheLastSecondsOfItsLife() {
    AccessToken first = await(service.token("finance", GRAPH));
    entra.answer = EntraStub.entraError(503, "temporarily_unavailable", 50_001);

    clock.advance(Duration.ofMinutes(60).minus(TokenService.SAFETY_SKEW));

    assertThat(awaitFailure(service.token("finance", GRAPH))).isInstanceOf(TokenException.class);
    assertThat(first.expiresAt()).isAfter(clock.instant());
  }

  @Test
  void aShortLivedTokenIsRenewedAtHalfItsLife() {
    entra.answer = entra.issuing(120);
    assertThat(await(service.token("finance", GRAPH)).value()).isEqualTo("token-1");

    clock.advance(Duration.ofSeconds(59));
    assertThat(await(service.token("finance", GRAPH)).value()).isEqualTo("token-1");
    assertThat(entra.requests()).isEqualTo(1);

    clock.advance(Duration.ofSeconds(1));
    assertThat(await(service.token("finance", GRAPH)).value()).isEqualTo("token-1");
    await(service.pendingRefresh("finance", GRAPH));
    assertThat(await(service.token("finance", GRAPH)).value()).isEqualTo("token-2");
    assertThat(entra.requests()).isEqualTo(2);
  }

  @Test
  void evictDuringARefreshDropsTheRefreshedTokenNotTheNewOne() {
    AccessToken first = await(service.token("finance", GRAPH));
    clock.advance(Duration.ofMinutes(56));
    Promise<RoutingContext> renewal = Promise.promise();
    var issue = entra.issuing(3600);
    entra.answer = renewal::complete;
    assertThat(await(service.token("finance", GRAPH))).isEqualTo(first);
    RoutingContext held = await(renewal.future());

    service.evict("finance", GRAPH, first); // an upstream rejected token-1 meanwhile
    entra.answer = issue;
    AccessToken afterEvict = await(service.token("finance", GRAPH));
    held.vertx().runOnContext(v -> issue.handle(held));
    await(service.pendingRefresh("finance", GRAPH));

    assertThat(afterEvict.value()).isEqualTo("token-2");
    assertThat(await(service.token("finance", GRAPH))).isEqualTo(afterEvict);
  }
}
