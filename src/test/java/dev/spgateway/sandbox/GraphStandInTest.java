package dev.spgateway.sandbox;

import static dev.spgateway.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class GraphStandInTest {

  private static final String GUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
  private static final String GRAPH_SCOPE = "https://graph.microsoft.com/.default";

  private EntraStandIn entra;
  private GraphStandIn graph;
  private WebClient client;
  private EntraTokens tokens;

  @BeforeEach
  void start(Vertx vertx) {
    entra = await(new EntraStandIn(vertx)
        .registerApp(EntraTokens.TENANT, EntraTokens.CLIENT_ID, EntraTokens.SECRET, "User.Read.All", "Mail.Send")
        .registerApp(EntraTokens.TENANT, "reader-app", "reader-secret", "User.Read.All")
        .start());
    JwksBearerVerifier verifier = new JwksBearerVerifier(vertx,
        entra.jwksUrl(EntraTokens.TENANT), entra.issuer(EntraTokens.TENANT), GraphStandIn.AUDIENCE);
    graph = await(new GraphStandIn(vertx, verifier).start());
    client = WebClient.create(vertx);
    tokens = new EntraTokens(entra, client);
  }

  @AfterEach
  void stop() {
    client.close();
    await(graph.close());
    await(entra.close());
  }

  @Test
  void acceptsAnEntraTokenForGraphAndAnswersLikeGraph() {
    HttpResponse<Buffer> response = get("/v1.0/users/" + GraphStandIn.userIds().get(0), tokens.token(GRAPH_SCOPE));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.getHeader("Content-Type")).startsWith("application/json;odata.metadata=minimal");
    assertThat(response.getHeader("OData-Version")).isEqualTo("4.0");
    assertThat(response.getHeader("request-id")).matches(GUID);
    assertThat(response.getHeader("client-request-id")).matches(GUID);
    assertThat(response.getHeader("Date")).isNotBlank();
    JsonObject user = response.bodyAsJsonObject();
    assertThat(user.getString("@odata.context")).isEqualTo("https://graph.microsoft.com/v1.0/$metadata#users/$entity");
    assertThat(user.getString("id")).isEqualTo(GraphStandIn.userIds().get(0));
    assertThat(user.fieldNames()).contains("displayName", "mail", "userPrincipalName", "jobTitle");
  }

  @Test
  void findsUsersByUserPrincipalNameAndEchoesTheClientRequestId() {
    HttpResponse<Buffer> response = await(client.getAbs(graph.baseUrl() + "/v1.0/users/MeganB@contoso.onmicrosoft.com")
        .bearerTokenAuthentication(tokens.token(GRAPH_SCOPE))
        .putHeader("client-request-id", "flow-run-42")
        .send());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.bodyAsJsonObject().getString("displayName")).isEqualTo("Megan Bowen");
    assertThat(response.getHeader("client-request-id")).isEqualTo("flow-run-42");
  }

  @Test
  void refusesAMissingBearerWithGraphsChallenge() {
    HttpResponse<Buffer> response = await(client.getAbs(graph.baseUrl() + "/v1.0/users").send());

    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(response.getHeader("WWW-Authenticate")).isEqualTo("Bearer realm=\"\", "
        + "authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", "
        + "client_id=\"00000003-0000-0000-c000-000000000000\"");
    JsonObject error = response.bodyAsJsonObject().getJsonObject("error");
    assertThat(error.getString("code")).isEqualTo("InvalidAuthenticationToken");
    assertThat(error.getJsonObject("innerError").fieldNames()).contains("date", "request-id", "client-request-id");
    assertThat(error.getJsonObject("innerError").getString("request-id")).isEqualTo(response.getHeader("request-id"));
  }

  @Test
  void refusesATokenForAnotherAudienceWithoutEchoingIt() {
    String dataverseToken = tokens.token("https://contoso.crm.dynamics.com/.default");

    HttpResponse<Buffer> response = get("/v1.0/users", dataverseToken);

    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(response.bodyAsJsonObject().getJsonObject("error").getString("message"))
        .contains("invalid audience: expected https://graph.microsoft.com");
    assertThat(response.bodyAsString()).doesNotContain(dataverseToken);
  }

  @Test
  void pagesUsersThroughAbsoluteNextLinks() {
    String token = tokens.token(GRAPH_SCOPE);
    List<String> ids = new ArrayList<>();
    String next = graph.baseUrl() + "/v1.0/users?$top=2&$select=id,displayName";
    int pages = 0;
    while (next != null) {
      HttpResponse<Buffer> response = await(client.getAbs(next).bearerTokenAuthentication(token).send());
      assertThat(response.statusCode()).isEqualTo(200);
      JsonObject page = response.bodyAsJsonObject();
      assertThat(page.getString("@odata.context"))
          .isEqualTo("https://graph.microsoft.com/v1.0/$metadata#users(id,displayName)");
      page.getJsonArray("value").forEach(user -> {
        assertThat(((JsonObject) user).fieldNames()).containsExactlyInAnyOrder("id", "displayName");
        ids.add(((JsonObject) user).getString("id"));
      });
      next = page.getString("@odata.nextLink");
      if (next != null) {
        assertThat(next).startsWith(graph.baseUrl() + "/v1.0/users?").contains("$skiptoken=");
      }
      pages++;
    }

    assertThat(pages).isEqualTo(3);
    assertThat(ids).containsExactlyElementsOf(GraphStandIn.userIds());
  }

  @Test
  void unknownUserAndUnknownSelectAreGraphErrors() {
    String token = tokens.token(GRAPH_SCOPE);

    HttpResponse<Buffer> missing = get("/v1.0/users/00000000-0000-0000-0000-000000000000", token);
    HttpResponse<Buffer> badSelect = get("/v1.0/users?$select=shoeSize", token);

    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("Request_ResourceNotFound");
    assertThat(badSelect.statusCode()).isEqualTo(400);
    assertThat(badSelect.bodyAsJsonObject().getJsonObject("error").getString("message"))
        .isEqualTo("Could not find a property named 'shoeSize' on type 'microsoft.graph.user'.");
  }

  @Test
  void meAndUnknownSegmentsAreBadRequests() {
    String token = tokens.token(GRAPH_SCOPE);

    HttpResponse<Buffer> me = get("/v1.0/me", token);
    HttpResponse<Buffer> unknown = get("/v1.0/groupz", token);

    assertThat(me.statusCode()).isEqualTo(400);
    assertThat(me.bodyAsJsonObject().getJsonObject("error").getString("message"))
        .isEqualTo("/me request is only valid with delegated authentication flow.");
    assertThat(unknown.statusCode()).isEqualTo(400);
    assertThat(unknown.bodyAsJsonObject().getJsonObject("error").getString("message"))
        .isEqualTo("Resource not found for the segment 'groupz'.");
  }

  @Test
  void sendMailAcceptsAMessageAndRefusesMalformedBodies() {
    String token = tokens.token(GRAPH_SCOPE);
    String sendMail = graph.baseUrl() + "/v1.0/users/" + GraphStandIn.userIds().get(1) + "/sendMail";
    JsonObject mail = new JsonObject().put("message", new JsonObject()
        .put("subject", "Invoice 42").put("body", new JsonObject().put("contentType", "Text").put("content", "Paid.")));

    HttpResponse<Buffer> sent = await(client.postAbs(sendMail).bearerTokenAuthentication(token).sendJsonObject(mail));
    HttpResponse<Buffer> noMessage = await(client.postAbs(sendMail).bearerTokenAuthentication(token)
        .sendJsonObject(new JsonObject().put("subject", "x")));
    HttpResponse<Buffer> notJson = await(client.postAbs(sendMail).bearerTokenAuthentication(token)
        .putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer("{not json")));

    assertThat(sent.statusCode()).isEqualTo(202);
    assertThat(sent.body()).isNull();
    assertThat(noMessage.statusCode()).isEqualTo(400);
    assertThat(noMessage.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("ErrorInvalidRequest");
    assertThat(notJson.statusCode()).isEqualTo(400);
    ReceivedRequest received = graph.received().get(0);
    assertThat(received.method()).isEqualTo("POST");
    assertThat(received.uri()).endsWith("/sendMail");
    assertThat(received.header("authorization")).isEqualTo("Bearer " + token);
    assertThat(received.body().toJsonObject()).isEqualTo(mail);
  }

  @Test
  void appRolesInTheTokenAreHonoured() {
    HttpResponse<Buffer> response = await(client
        .postAbs(graph.baseUrl() + "/v1.0/users/" + GraphStandIn.userIds().get(1) + "/sendMail")
        .bearerTokenAuthentication(tokens.token("reader-app", "reader-secret", GRAPH_SCOPE))
        .sendJsonObject(new JsonObject().put("message", new JsonObject())));

    assertThat(response.statusCode()).isEqualTo(403);
    assertThat(response.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("ErrorAccessDenied");
  }

  @Test
  void recordsEveryRequestEvenRefusedOnes() {
    get("/v1.0/users", null);
    get("/v1.0/users", tokens.token(GRAPH_SCOPE));

    assertThat(graph.requestCount()).isEqualTo(2);
    assertThat(graph.received()).extracting(ReceivedRequest::uri).containsOnly("/v1.0/users");
    assertThat(graph.received().get(0).header("Authorization")).isNull();
  }

  private HttpResponse<Buffer> get(String path, String token) {
    var request = client.getAbs(graph.baseUrl() + path);
    if (token != null) {
      request.bearerTokenAuthentication(token);
    }
    return await(request.send());
  }
}
