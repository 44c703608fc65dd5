package dev.spgateway.identity;

import static dev.spgateway.testing.Await.await;
import static dev.spgateway.testing.Await.awaitFailure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.sandbox.EntraStandIn;
import dev.spgateway.testing.MutableClock;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Entra ID's keys unreachable when the gateway starts: a documented degraded start, then recovery on its own. */
class EntraSigningKeysOutageTest {

  static final String TENANT = "72f988bf-0000-4000-8000-2d7cd011db47";
  static final String SCRIPT = "c0ffee00-0000-4000-8000-000000000001";
  static final String SECRET = "script-secret-" + ApiKeys.generate();

  Vertx vertx;
  EntraStandIn entra;
  WebClient client;
  final MutableClock clock = new MutableClock(Instant.now());

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    entra = await(new EntraStandIn(vertx).registerApp(TENANT, SCRIPT, SECRET, "Gateway.Call").start());
    client = WebClient.create(vertx);
  }

  @AfterEach
  void stop() {
    await(vertx.close());
  }

  @Test
  void unreachableKeysAtStartRefuseTokensWith503UntilAFetchSucceeds() {
    entra.jwksDown(true);
    EntraAuthenticator authenticator = await(EntraAuthenticator.start(vertx, client, URI.create(entra.baseUrl()),
        new EntraTokenConfig(List.of(TENANT), List.of("api://sp-gateway"), null),
        Map.of("script", new EntraCallerConfig(SCRIPT, null, List.of("Gateway.Call"))), clock));
    String token = token();

    Throwable refused = awaitFailure(authenticator.authenticate("Bearer " + token));
    assertThat(refused).isInstanceOf(TokenRefusal.class);
    assertThat(((TokenRefusal) refused).status()).isEqualTo(503);
    assertThat(((TokenRefusal) refused).type()).isEqualTo("entra-keys-unavailable");
    int fetches = entra.jwksRequests();

    entra.jwksDown(false);
    assertThat(awaitFailure(authenticator.authenticate("Bearer " + token))).as("no fetch within the minute")
        .isInstanceOf(TokenRefusal.class);
    assertThat(entra.jwksRequests()).isEqualTo(fetches);
    clock.advance(Duration.ofSeconds(61));
    Caller caller = await(authenticator.authenticate("Bearer " + token));
    assertThat(caller).isEqualTo(new Caller("script", "entra", SCRIPT, entra.objectId(TENANT, SCRIPT)));
    authenticator.close();
  }

  @Test
  void aCachedValidationEndsWithTheTokensExpiry() {
    EntraAuthenticator authenticator = await(EntraAuthenticator.start(vertx, client, URI.create(entra.baseUrl()),
        new EntraTokenConfig(List.of(TENANT), List.of("api://sp-gateway"), null),
        Map.of("script", new EntraCallerConfig(SCRIPT, null, List.of())), clock));
    entra.clock(clock);
    String token = token();
    assertThat(await(authenticator.authenticate("Bearer " + token)).name()).isEqualTo("script");
    clock.advance(EntraStandIn.DEFAULT_TOKEN_LIFETIME.plus(EntraAuthenticator.CLOCK_SKEW));
    TokenRefusal expired = (TokenRefusal) awaitFailure(authenticator.authenticate("Bearer " + token));
    assertThat(expired.type()).isEqualTo("token-expired");
    authenticator.close();
  }

  private String token() {
    MultiMap form = MultiMap.caseInsensitiveMultiMap().set("grant_type", "client_credentials")
        .set("client_id", SCRIPT).set("client_secret", SECRET).set("scope", "api://sp-gateway/.default");
    return await(client.postAbs(entra.tokenUrl(TENANT)).sendForm(form)).bodyAsJsonObject().getString("access_token");
  }
}
