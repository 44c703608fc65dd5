package dev.spgateway.sandbox;

import static dev.spgateway.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class DataverseStandInTest {

  private static final String ENV = "https://contoso.crm.dynamics.com";
  private static final String DATAVERSE_SCOPE = ENV + "/.default";
  private static final String API = "/api/data/v9.2/";

  private EntraStandIn entra;
  private DataverseStandIn dataverse;
  private WebClient client;
  private EntraTokens tokens;
  private String token;

  @BeforeEach
  void start(Vertx vertx) {
    entra = await(new EntraStandIn(vertx)
        .registerApp(EntraTokens.TENANT, EntraTokens.CLIENT_ID, EntraTokens.SECRET)
        .start());
    JwksBearerVerifier verifier = new JwksBearerVerifier(
        vertx, entra.jwksUrl(EntraTokens.TENANT), entra.issuer(EntraTokens.TENANT), ENV);
    dataverse = await(new DataverseStandIn(vertx, ENV, verifier).tenant(EntraTokens.TENANT).start());
    client = WebClient.create(vertx);
    tokens = new EntraTokens(entra, client);
    token = tokens.token(DATAVERSE_SCOPE);
  }

  @AfterEach
  void stop() {
    client.close();
    await(dataverse.close());
    await(entra.close());
  }

  @Test
  void whoAmIAnswersForTheServicePrincipalsApplicationUser() {
    HttpResponse<Buffer> first = get("WhoAmI", token);
    HttpResponse<Buffer> second = get("WhoAmI", tokens.token(DATAVERSE_SCOPE));

    assertThat(first.statusCode()).isEqualTo(200);
    JsonObject body = first.bodyAsJsonObject();
    assertThat(body.getString("@odata.context"))
        .isEqualTo(ENV + "/api/data/v9.2/$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse");
    assertThat(body.fieldNames()).contains("BusinessUnitId", "UserId", "OrganizationId");
    assertThat(second.bodyAsJsonObject().getString("UserId")).isEqualTo(body.getString("UserId"));
    assertThat(first.getHeader("OData-Version")).isEqualTo("4.0");
    assertThat(first.getHeader("x-ms-service-request-id")).isEqualTo(first.getHeader("REQ_ID")).isNotBlank();
    assertThat(first.getHeader("x-ms-ratelimit-burst-remaining-xrm-requests")).isEqualTo("7999");
    assertThat(first.getHeader("x-ms-ratelimit-time-remaining-xrm-requests")).isNotBlank();
  }

  @Test
  void refusesAGraphTokenWithDataversesChallenge() {
    HttpResponse<Buffer> response = get("WhoAmI", tokens.token("https://graph.microsoft.com/.default"));

    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(response.getHeader("WWW-Authenticate")).isEqualTo("Bearer authorization_uri="
        + "https://login.microsoftonline.com/" + EntraTokens.TENANT + "/oauth2/authorize, resource_id=" + ENV);
    assertThat(dataverse.requestCount()).isEqualTo(1);
  }

  @Test
  void refusesAnExpiredToken() {
    entra.clock(Clock.fixed(Instant.now().minus(Duration.ofHours(3)), ZoneOffset.UTC));
    String expired = tokens.token(DATAVERSE_SCOPE);

    assertThat(get("WhoAmI", expired).statusCode()).isEqualTo(401);
  }

  @Test
  void listsAccountsWithSelectAndTop() {
    HttpResponse<Buffer> response = get("accounts?$select=name&$top=2", token);

    assertThat(response.statusCode()).isEqualTo(200);
    JsonObject body = response.bodyAsJsonObject();
    assertThat(body.getString("@odata.context")).isEqualTo(ENV + API + "$metadata#accounts(name)");
    assertThat(body.getJsonArray("value")).hasSize(2);
    assertThat(body.getJsonArray("value").getJsonObject(0).fieldNames())
        .containsExactlyInAnyOrder("@odata.etag", "name", "accountid");
  }

  @Test
  void createsReadsUpdatesAndDeletesAnAccount() {
    HttpResponse<Buffer> created = await(client.postAbs(dataverse.baseUrl() + API + "accounts")
        .bearerTokenAuthentication(token).sendJsonObject(new JsonObject().put("name", "Northwind")));
    assertThat(created.statusCode()).isEqualTo(204);
    String entityId = created.getHeader("OData-EntityId");
    assertThat(entityId).startsWith(ENV + API + "accounts(").endsWith(")");
    String id = entityId.substring(entityId.indexOf('(') + 1, entityId.length() - 1);

    HttpResponse<Buffer> patched = await(client.patchAbs(dataverse.baseUrl() + API + "accounts(" + id + ")")
        .bearerTokenAuthentication(token).putHeader("If-Match", "*")
        .sendJsonObject(new JsonObject().put("telephone1", "555-0100")));
    JsonObject read = get("accounts(" + id + ")", token).bodyAsJsonObject();
    HttpResponse<Buffer> deleted = await(client.deleteAbs(dataverse.baseUrl() + API + "accounts(" + id + ")")
        .bearerTokenAuthentication(token).send());
    HttpResponse<Buffer> gone = get("accounts(" + id + ")", token);

    assertThat(patched.statusCode()).isEqualTo(204);
    assertThat(read.getString("@odata.context")).isEqualTo(ENV + API + "$metadata#accounts/$entity");
    assertThat(read.getString("name")).isEqualTo("Northwind");
    assertThat(read.getString("telephone1")).isEqualTo("555-0100");
    assertThat(deleted.statusCode()).isEqualTo(204);
    assertThat(gone.statusCode()).isEqualTo(404);
    assertThat(gone.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("0x80040217");
    assertThat(gone.bodyAsJsonObject().getJsonObject("error").getString("message"))
        .isEqualTo("account With Id = " + id + " Does Not Exist");
  }

  @Test
  void returnsTheRecordWhenAskedToAndRefusesUnknownColumns() {
    HttpResponse<Buffer> created = await(client.postAbs(dataverse.baseUrl() + API + "accounts")
        .bearerTokenAuthentication(token).putHeader("Prefer", "return=representation")
        .sendJsonObject(new JsonObject().put("name", "Contoso Pharmaceuticals")));
    HttpResponse<Buffer> unknownColumn = await(client.postAbs(dataverse.baseUrl() + API + "accounts")
        .bearerTokenAuthentication(token).sendJsonObject(new JsonObject().put("shoesize", 44)));

    assertThat(created.statusCode()).isEqualTo(201);
    assertThat(created.getHeader("Preference-Applied")).isEqualTo("return=representation");
    assertThat(created.bodyAsJsonObject().getString("name")).isEqualTo("Contoso Pharmaceuticals");
    assertThat(created.bodyAsJsonObject().getString("@odata.etag")).startsWith("W/\"");
    assertThat(unknownColumn.statusCode()).isEqualTo(400);
    assertThat(unknownColumn.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("0x80048d19");
    assertThat(dataverse.accounts()).extracting(account -> account.getString("name"))
        .contains("Contoso Pharmaceuticals").doesNotContainNull();
  }

  @Test
  void patchWithoutIfMatchIsAnUpsert() {
    String id = "5531d753-95af-e711-a94e-000d3a11e605";

    HttpResponse<Buffer> upserted = await(client.patchAbs(dataverse.baseUrl() + API + "accounts(" + id + ")")
        .bearerTokenAuthentication(token).sendJsonObject(new JsonObject().put("name", "Upserted")));

    assertThat(upserted.statusCode()).isEqualTo(204);
    assertThat(get("accounts(" + id + ")", token).bodyAsJsonObject().getString("name")).isEqualTo("Upserted");
  }

  @Test
  void unknownEntitySetIsNotFound() {
    HttpResponse<Buffer> response = get("contactz", token);

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.bodyAsJsonObject().getJsonObject("error").getString("message"))
        .isEqualTo("Resource not found for the segment 'contactz'.");
  }

  private HttpResponse<Buffer> get(String resource, String bearer) {
    return await(client.getAbs(dataverse.baseUrl() + API + resource).bearerTokenAuthentication(bearer).send());
  }
}
