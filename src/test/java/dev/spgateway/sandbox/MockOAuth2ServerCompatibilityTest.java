package dev.spgateway.sandbox;

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
import java.net.InetAddress;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The gateway's tests use mock-oauth2-server 5.0.2 as Entra ID. How its client-credentials tokens
 * come out (checked here, from its DefaultOAuth2TokenCallback):
 * <ul>
 *   <li>{@code iss} = {@code server.issuerUrl(issuerId)}, e.g. {@code http://localhost:PORT/tenant-1/oauth2/v2.0}
 *       (host name as the server reports it: "localhost" even when bound to 127.0.0.1);
 *       token URL {@code /{issuerId}/token}, JWKS {@code server.jwksUrl(issuerId)} = {@code /{issuerId}/jwks}.
 *   <li>{@code aud} = the requested scope words minus OIDC ones (openid, profile, ...), VERBATIM: asking for
 *       {@code https://graph.microsoft.com/.default} gives {@code aud = "https://graph.microsoft.com/.default"},
 *       unlike Entra, which drops {@code /.default}. No scope gives {@code aud = "default"}.
 *   <li>{@code sub} = {@code azp} = the client id; {@code tid} = the issuer id (not a tenant GUID); no {@code roles}.
 * </ul>
 * To get Entra's audience {@code https://graph.microsoft.com}: enqueue a callback per token
 * ({@code enqueueCallback(new DefaultOAuth2TokenCallback(issuerId, clientId, "JWT", List.of(aud), claims, 3600))}),
 * or, for every token, start the server with an {@code OAuth2Config} whose {@code tokenCallbacks} map the
 * {@code scope} request parameter to {@code "aud": [...]} (see {@link #configMapsEveryGraphScopeToGraphsAudience}).
 */
@ExtendWith(VertxExtension.class)
class MockOAuth2ServerCompatibilityTest {

  private static final String ISSUER_ID = "tenant-1/oauth2/v2.0";
  private static final String GRAPH_SCOPE = "https://graph.microsoft.com/.default";

  private MockOAuth2Server server;
  private WebClient client;

  @BeforeEach
  void start(Vertx vertx) throws Exception {
    server = new MockOAuth2Server();
    server.start(InetAddress.getByName("127.0.0.1"), 0);
    client = WebClient.create(vertx);
  }

  @AfterEach
  void stop() {
    client.close();
    server.shutdown();
  }

  @Test
  void defaultTokensCarryTheScopeVerbatimAsAudience(Vertx vertx) {
    String token = token(GRAPH_SCOPE + " openid profile offline_access");

    JsonObject claims = await(verifier(vertx, GRAPH_SCOPE).verify(token));
    assertThat(claims.getString("aud")).isEqualTo(GRAPH_SCOPE);
    assertThat(claims.getString("sub")).isEqualTo("finance-app");
    assertThat(claims.getString("tid")).isEqualTo(ISSUER_ID);
    assertThat(claims.getString("iss")).isEqualTo(server.issuerUrl(ISSUER_ID).toString());
    assertThat(awaitFailure(verifier(vertx, GraphStandIn.AUDIENCE).verify(token)))
        .isInstanceOf(InvalidBearerTokenException.class)
        .hasMessage("invalid audience: expected https://graph.microsoft.com");
  }

  @Test
  void anEnqueuedCallbackGivesGraphsAudienceAndGraphStandInAcceptsTheToken(Vertx vertx) {
    server.enqueueCallback(new DefaultOAuth2TokenCallback(ISSUER_ID, "finance-app", "JWT",
        List.of(GraphStandIn.AUDIENCE), Map.of("roles", List.of("User.Read.All")), 3600));
    String token = token(GRAPH_SCOPE);
    GraphStandIn graph = await(new GraphStandIn(vertx, verifier(vertx, GraphStandIn.AUDIENCE)).start());
    try {
      HttpResponse<Buffer> users = await(client.getAbs(graph.baseUrl() + "/v1.0/users")
          .bearerTokenAuthentication(token).send());

      assertThat(users.statusCode()).isEqualTo(200);
      assertThat(users.bodyAsJsonObject().getJsonArray("value")).hasSize(GraphStandIn.userIds().size());
    } finally {
      await(graph.close());
    }
  }

  @Test
  void configMapsEveryGraphScopeToGraphsAudience(Vertx vertx) throws Exception {
    server.shutdown();
    server = new MockOAuth2Server(OAuth2Config.Companion.fromJson("""
        {"tokenCallbacks": [{
          "issuerId": "%s",
          "tokenExpiry": 3600,
          "requestMappings": [{
            "requestParam": "scope",
            "match": "https://graph.microsoft.com/.default",
            "claims": {"sub": "${clientId}", "aud": ["https://graph.microsoft.com"]}
          }]
        }]}""".formatted(ISSUER_ID)));
    server.start(InetAddress.getByName("127.0.0.1"), 0);
    JwksBearerVerifier verifier = verifier(vertx, GraphStandIn.AUDIENCE);

    JsonObject first = await(verifier.verify(token(GRAPH_SCOPE)));
    JsonObject second = await(verifier.verify(token(GRAPH_SCOPE)));

    assertThat(first.getString("aud")).isEqualTo(GraphStandIn.AUDIENCE);
    assertThat(second.getString("aud")).isEqualTo(GraphStandIn.AUDIENCE);
    assertThat(first.getString("sub")).isEqualTo("finance-app");
  }

  @Test
  void aTamperedTokenFailsTheSignatureCheck(Vertx vertx) {
    String[] parts = token(GRAPH_SCOPE).split("\\.");
    JsonObject claims = decode(parts[1]).put("aud", GraphStandIn.AUDIENCE);
    String tampered = parts[0] + "." + Base64.getUrlEncoder().withoutPadding()
        .encodeToString(claims.encode().getBytes()) + "." + parts[2];

    assertThat(awaitFailure(verifier(vertx, GraphStandIn.AUDIENCE).verify(tampered)))
        .isInstanceOf(InvalidBearerTokenException.class)
        .hasMessage("invalid signature");
  }

  private JwksBearerVerifier verifier(Vertx vertx, String audience) {
    return new JwksBearerVerifier(vertx, server.jwksUrl(ISSUER_ID).toString(),
        server.issuerUrl(ISSUER_ID).toString(), audience);
  }

  private String token(String scope) {
    MultiMap form = MultiMap.caseInsensitiveMultiMap()
        .set("grant_type", "client_credentials").set("client_id", "finance-app")
        .set("client_secret", "anything").set("scope", scope);
    HttpResponse<Buffer> response =
        await(client.postAbs(server.tokenEndpointUrl(ISSUER_ID).toString()).sendForm(form));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject().getString("access_token");
  }

  private static JsonObject decode(String segment) {
    return new JsonObject(new String(Base64.getUrlDecoder().decode(segment)));
  }
}
