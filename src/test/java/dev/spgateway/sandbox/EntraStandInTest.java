package dev.spgateway.sandbox;

import dev.spgateway.testing.MutableClock;
import static dev.spgateway.testing.Await.await;
import static dev.spgateway.testing.Await.awaitFailure;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class EntraStandInTest {

  private static final String TENANT = "72f988bf-0000-0000-0000-2d7cd011db47";
  private static final String CLIENT_ID = "1b4c0000-0000-0000-0000-00000000a11c";
  private static final String SECRET = "s3cr3t-value-never-echoed";
  private static final String GRAPH_SCOPE = "https://graph.microsoft.com/.default";

  private EntraStandIn entra;
  private WebClient client;

  @BeforeEach
  void start(Vertx vertx) {
    entra = await(new EntraStandIn(vertx).registerApp(TENANT, CLIENT_ID, SECRET, "Mail.Send").start());
    client = WebClient.create(vertx);
  }

  @AfterEach
  void stop() {
    client.close();
    await(entra.close());
  }

  @Test
  void issuesAnAppOnlyTokenShapedLikeEntras() {
    HttpResponse<Buffer> response = requestToken(CLIENT_ID, SECRET, GRAPH_SCOPE + " openid profile offline_access");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.getHeader("Cache-Control")).contains("no-store");
    JsonObject body = response.bodyAsJsonObject();
    assertThat(body.getString("token_type")).isEqualTo("Bearer");
    assertThat(body.getLong("expires_in")).isEqualTo(3599L);
    assertThat(body.getLong("ext_expires_in")).isEqualTo(3599L);
    String[] jwt = body.getString("access_token").split("\\.");
    JsonObject header = decode(jwt[0]);
    JsonObject claims = decode(jwt[1]);
    assertThat(header.getString("alg")).isEqualTo("RS256");
    assertThat(header.getString("kid")).isNotBlank();
    assertThat(claims.getString("aud")).isEqualTo("https://graph.microsoft.com");
    assertThat(claims.getString("iss")).isEqualTo(entra.issuer(TENANT));
    assertThat(claims.getString("tid")).isEqualTo(TENANT);
    assertThat(claims.getString("azp")).isEqualTo(CLIENT_ID);
    assertThat(claims.getString("appid")).isEqualTo(CLIENT_ID);
    assertThat(claims.getString("sub")).isEqualTo(claims.getString("oid"));
    assertThat(claims.getString("ver")).isEqualTo("2.0");
    assertThat(claims.getJsonArray("roles")).containsExactly("Mail.Send");
    assertThat(claims.getLong("exp") - claims.getLong("iat")).isEqualTo(3599L);
    assertThat(entra.tokenRequests()).isEqualTo(1);
  }

  @Test
  void theSameAppKeepsItsObjectIdAcrossTokens() {
    JsonObject first = claimsOf(requestToken(CLIENT_ID, SECRET, GRAPH_SCOPE));
    JsonObject second = claimsOf(requestToken(CLIENT_ID, SECRET, GRAPH_SCOPE));

    assertThat(second.getString("oid")).isEqualTo(first.getString("oid"));
  }

  @Test
  void wrongSecretIsInvalidClientAndIsNotEchoed() {
    String wrongSecret = "wrong-secret-value-42";
    HttpResponse<Buffer> response = requestToken(CLIENT_ID, wrongSecret, GRAPH_SCOPE);

    assertThat(response.statusCode()).isEqualTo(401);
    JsonObject error = response.bodyAsJsonObject();
    assertThat(error.getString("error")).isEqualTo("invalid_client");
    assertThat(error.getJsonArray("error_codes")).containsExactly(7000215);
    assertThat(error.getString("error_description")).startsWith("AADSTS7000215: Invalid client secret");
    assertThat(error.fieldNames())
        .contains("timestamp", "trace_id", "correlation_id");
    assertThat(response.bodyAsString()).doesNotContain(wrongSecret).doesNotContain(SECRET);
    assertThat(entra.tokenRequests()).isEqualTo(1);
  }

  @Test
  void unknownClientIsUnauthorizedClient() {
    HttpResponse<Buffer> response = requestToken("not-registered", SECRET, GRAPH_SCOPE);

    assertThat(response.statusCode()).isEqualTo(400);
    JsonObject error = response.bodyAsJsonObject();
    assertThat(error.getString("error")).isEqualTo("unauthorized_client");
    assertThat(error.getJsonArray("error_codes")).containsExactly(700016);
    assertThat(error.getString("error_description"))
        .contains("Application with identifier 'not-registered' was not found in the directory '" + TENANT + "'");
  }

  @Test
  void scopeMustBeOneResourceWithDotDefault() {
    HttpResponse<Buffer> delegatedStyle = requestToken(CLIENT_ID, SECRET, "https://graph.microsoft.com/User.Read");
    HttpResponse<Buffer> missing = requestToken(CLIENT_ID, SECRET, null);

    assertThat(delegatedStyle.statusCode()).isEqualTo(400);
    assertThat(delegatedStyle.bodyAsJsonObject().getString("error")).isEqualTo("invalid_scope");
    assertThat(delegatedStyle.bodyAsJsonObject().getJsonArray("error_codes")).containsExactly(1002012);
    assertThat(missing.statusCode()).isEqualTo(400);
    assertThat(missing.bodyAsJsonObject().getJsonArray("error_codes")).containsExactly(70011);
  }

  @Test
  void otherGrantsAndUnknownTenantsAreRefused() {
    MultiMap passwordGrant = form(CLIENT_ID, SECRET, GRAPH_SCOPE).set("grant_type", "password");
    HttpResponse<Buffer> grant = await(client.postAbs(entra.tokenUrl(TENANT)).sendForm(passwordGrant));
    HttpResponse<Buffer> tenant = await(client.postAbs(entra.tokenUrl("other-tenant"))
        .sendForm(form(CLIENT_ID, SECRET, GRAPH_SCOPE)));

    assertThat(grant.statusCode()).isEqualTo(400);
    assertThat(grant.bodyAsJsonObject().getString("error")).isEqualTo("unsupported_grant_type");
    assertThat(tenant.statusCode()).isEqualTo(400);
    assertThat(tenant.bodyAsJsonObject().getString("error")).isEqualTo("invalid_tenant");
    assertThat(tenant.bodyAsJsonObject().getJsonArray("error_codes")).containsExactly(90002);
  }

  @Test
  void clientSecretBasicIsAcceptedToo() {
    String basic = Base64.getEncoder().encodeToString((CLIENT_ID + ":" + SECRET).getBytes());
    MultiMap form = MultiMap.caseInsensitiveMultiMap()
        .set("grant_type", "client_credentials").set("scope", GRAPH_SCOPE);
    HttpResponse<Buffer> response = await(client.postAbs(entra.tokenUrl(TENANT))
        .putHeader("Authorization", "Basic " + basic).sendForm(form));

    assertThat(response.statusCode()).isEqualTo(200);
  }

  @Test
  void injectedFailuresComeFirstThenNormalServiceResumes() {
    entra.failNext(2, 503, "temporarily_unavailable", 50196);

    HttpResponse<Buffer> first = requestToken(CLIENT_ID, SECRET, GRAPH_SCOPE);
    HttpResponse<Buffer> second = requestToken(CLIENT_ID, SECRET, GRAPH_SCOPE);
    HttpResponse<Buffer> third = requestToken(CLIENT_ID, SECRET, GRAPH_SCOPE);

    assertThat(first.statusCode()).isEqualTo(503);
    assertThat(first.bodyAsJsonObject().getString("error")).isEqualTo("temporarily_unavailable");
    assertThat(first.bodyAsJsonObject().getJsonArray("error_codes")).containsExactly(50196);
    assertThat(second.statusCode()).isEqualTo(503);
    assertThat(third.statusCode()).isEqualTo(200);
    assertThat(entra.tokenRequests()).isEqualTo(3);
  }

  @Test
  void discoveryDocumentPointsAtTheKeysAndTokenEndpoint() {
    JsonObject configuration = await(client
        .getAbs(entra.baseUrl() + "/" + TENANT + "/v2.0/.well-known/openid-configuration").send())
        .bodyAsJsonObject();
    JsonObject jwks = await(client.getAbs(entra.jwksUrl(TENANT)).send()).bodyAsJsonObject();

    assertThat(configuration.getString("issuer")).isEqualTo(entra.issuer(TENANT));
    assertThat(configuration.getString("token_endpoint")).isEqualTo(entra.tokenUrl(TENANT));
    assertThat(configuration.getString("jwks_uri")).isEqualTo(entra.jwksUrl(TENANT));
    assertThat(jwks.getJsonArray("keys").getJsonObject(0).fieldNames()).contains("kty", "kid", "n", "e");
  }

  @Test
  void verifierAcceptsItsTokensAndRefusesExpiredOnes(Vertx vertx) {
    JwksBearerVerifier verifier = new JwksBearerVerifier(
        vertx, entra.jwksUrl(TENANT), entra.issuer(TENANT), "https://graph.microsoft.com");
    String fresh = accessToken(requestToken(CLIENT_ID, SECRET, GRAPH_SCOPE));
    entra.clock(Clock.fixed(Instant.now().minus(Duration.ofHours(2)), ZoneOffset.UTC));
    String expired = accessToken(requestToken(CLIENT_ID, SECRET, GRAPH_SCOPE));

    assertThat(await(verifier.verify(fresh)).getString("azp")).isEqualTo(CLIENT_ID);
    Throwable refused = awaitFailure(verifier.verify(expired));
    assertThat(refused).isInstanceOf(InvalidBearerTokenException.class)
        .hasMessageStartingWith("token expired at");
    assertThat(refused.getMessage()).doesNotContain(expired);
  }

  @Test
  void verifierRefetchesKeysWhenAnUnknownKeyIdShowsUp(Vertx vertx) {
    MutableClock clock = new MutableClock(Instant.now());
    JwksBearerVerifier verifier = new JwksBearerVerifier(
        vertx, entra.jwksUrl(TENANT), entra.issuer(TENANT), "https://graph.microsoft.com", clock);
    await(verifier.verify(accessToken(requestToken(CLIENT_ID, SECRET, GRAPH_SCOPE))));
    await(entra.rotateSigningKey());
    String signedWithNewKey = accessToken(requestToken(CLIENT_ID, SECRET, GRAPH_SCOPE));

    assertThat(awaitFailure(verifier.verify(signedWithNewKey)))
        .hasMessageStartingWith("unknown signing key"); // keys fetched moments ago: no refetch yet
    clock.advance(JwksBearerVerifier.MIN_REFETCH_INTERVAL);
    assertThat(await(verifier.verify(signedWithNewKey)).getString("azp")).isEqualTo(CLIENT_ID);
  }

  private HttpResponse<Buffer> requestToken(String clientId, String secret, String scope) {
    return await(client.postAbs(entra.tokenUrl(TENANT)).sendForm(form(clientId, secret, scope)));
  }

  private static MultiMap form(String clientId, String secret, String scope) {
    MultiMap form = MultiMap.caseInsensitiveMultiMap()
        .set("grant_type", "client_credentials").set("client_id", clientId).set("client_secret", secret);
    return scope == null ? form : form.set("scope", scope);
  }

  private static String accessToken(HttpResponse<Buffer> response) {
    assertThat(response.statusCode()).isEqualTo(200);
    return response.bodyAsJsonObject().getString("access_token");
  }

  private static JsonObject claimsOf(HttpResponse<Buffer> response) {
    return decode(accessToken(response).split("\\.")[1]);
  }

  private static JsonObject decode(String segment) {
    return new JsonObject(new String(Base64.getUrlDecoder().decode(segment)));
  }
}
