package dev.spgateway.identity;

import static dev.spgateway.testing.Await.await;
import static dev.spgateway.testing.Await.awaitFailure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.sandbox.EntraStandIn;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.net.URI;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Which configured caller a genuine token belongs to: by object id first, then by app id. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EntraCallerMatchingTest {

  static final String TENANT = "72f988bf-0000-4000-8000-2d7cd011db47";
  static final String SHARED_APP = "d0000000-0000-4000-8000-000000000001"; // e.g. the Azure CLI, shared by people
  static final String ADELE = "0f3e0000-0000-4000-8000-0000000000cc";
  static final String BOB = "0f3e0000-0000-4000-8000-0000000000dd";

  Vertx vertx;
  EntraStandIn entra;
  EntraAuthenticator authenticator;

  @BeforeAll
  void start() {
    vertx = Vertx.vertx();
    entra = await(new EntraStandIn(vertx).registerApp(TENANT, SHARED_APP, "unused").start());
    authenticator = await(EntraAuthenticator.start(vertx, WebClient.create(vertx), URI.create(entra.baseUrl()),
        new EntraTokenConfig(List.of(TENANT), List.of("api://sp-gateway", "9a1b0000-0000-4000-8000-0000000000aa"), null),
        Map.of("adele-laptop", new EntraCallerConfig(SHARED_APP, ADELE, List.of()),
            "any-cli-user", new EntraCallerConfig(SHARED_APP, null, List.of("Gateway.Call")),
            "bob-anywhere", new EntraCallerConfig(null, BOB, List.of())),
        Clock.systemUTC()));
  }

  @AfterAll
  void stop() {
    authenticator.close();
    await(vertx.close());
  }

  @Test
  void theObjectIdNamesTheCallerBeforeTheAppId() {
    assertThat(await(authenticator.authenticate(bearer(claims(SHARED_APP, ADELE)))).name()).isEqualTo("adele-laptop");
    assertThat(await(authenticator.authenticate(bearer(claims("d0000000-0000-4000-8000-000000000099", BOB)))).name())
        .as("objectId alone: any app").isEqualTo("bob-anywhere");
    assertThat(await(authenticator.authenticate(bearer(claims(SHARED_APP, "0f3e0000-0000-4000-8000-0000000000ee")
        .put("roles", new JsonArray().add("Gateway.Call"))))).name()).as("another user of the shared app")
        .isEqualTo("any-cli-user");
  }

  @Test
  void anObjectIdWithTheWrongAppIsNotThatCaller() {
    TokenRefusal refusal = (TokenRefusal) awaitFailure(authenticator.authenticate(
        bearer(claims("d0000000-0000-4000-8000-000000000099", ADELE))));
    assertThat(refusal.type()).isEqualTo("unknown-caller");
    assertThat(refusal.objectId()).isEqualTo(ADELE);
  }

  @Test
  void anAudienceListAndTheClientIdAudienceAreAccepted() {
    JsonObject claims = claims(SHARED_APP, ADELE).put("aud", new JsonArray().add("https://other").add("api://sp-gateway"));
    assertThat(await(authenticator.authenticate(bearer(claims))).name()).isEqualTo("adele-laptop");
    JsonObject v2 = claims(SHARED_APP, ADELE).put("aud", "9a1b0000-0000-4000-8000-0000000000aa");
    assertThat(await(authenticator.authenticate(bearer(v2))).name()).isEqualTo("adele-laptop");
  }

  private JsonObject claims(String appId, String objectId) {
    return entra.appTokenClaims(TENANT, SHARED_APP, "api://sp-gateway").put("azp", appId).put("appid", appId)
        .put("oid", objectId).put("sub", objectId);
  }

  private String bearer(JsonObject claims) {
    return "Bearer " + entra.sign(new JsonObject().put("typ", "JWT").put("alg", "RS256").put("kid", entra.currentKid()),
        claims);
  }
}
