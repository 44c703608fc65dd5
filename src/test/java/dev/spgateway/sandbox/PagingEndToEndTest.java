package dev.spgateway.sandbox;

import static dev.spgateway.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;
import static java.util.concurrent.TimeUnit.SECONDS;

import dev.spgateway.identity.ApiKeys;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Paging through the sandbox's gateway as a flow does: the first page's {@code @odata.nextLink} points at
 * the gateway, following it with the same headers is judged again and answers the next page, until the
 * last. The stand-ins write their links where Graph and Dataverse do (Graph before {@code value},
 * Dataverse after it, with its paging cookie encoded twice) and refuse a cookie changed in any byte.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PagingEndToEndTest {

  Vertx vertx;
  Sandbox sandbox;
  WebClient client;
  String gateway;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    vertx = Vertx.vertx();
    sandbox = Sandbox.start(vertx, Path.of("config/sandbox.yaml"), 0, 0, dir).await(60, SECONDS); // starting is slow on a busy machine
    client = WebClient.create(vertx);
    gateway = "http://127.0.0.1:" + sandbox.gateway().port();
  }

  @AfterAll
  void stop() throws Exception {
    await(sandbox.close());
    assertThat(Files.readString(sandbox.auditFile())).doesNotContain(sandbox.callerKey());
    await(vertx.close());
  }

  @Test
  void pagesThroughEveryGraphUserWithLinksAtTheGateway() {
    List<String> ids = new ArrayList<>();
    String next = gateway + "/graph/v1.0/users?$select=id,displayName&$top=2";
    int pages = 0;
    while (next != null) {
      HttpResponse<Buffer> page = get(next);
      assertThat(page.statusCode()).as("page %d: %s", pages + 1, page.bodyAsString()).isEqualTo(200);
      assertThat(page.getHeader("content-length")).as("a small page is sent whole, with its new length")
          .isEqualTo(Integer.toString(page.body().length()));
      JsonObject body = page.bodyAsJsonObject();
      body.getJsonArray("value").forEach(user -> ids.add(((JsonObject) user).getString("id")));
      next = body.getString("@odata.nextLink");
      if (next != null) assertThat(next).startsWith(gateway + "/graph/v1.0/users?").contains("$skiptoken=");
      assertThat(body.getString("@odata.context")).as("not a paging link: unchanged")
          .startsWith("https://graph.microsoft.com/v1.0/$metadata#users");
      pages++;
    }
    assertThat(ids).containsExactlyElementsOf(GraphStandIn.userIds());
    assertThat(pages).isEqualTo(3);
    assertTheKeyNeverLeft(sandbox.graph().received());
  }

  @Test
  void pagesThroughEveryDataverseAccountWithItsPagingCookieIntact() {
    // More rows than a page, created through the gateway: each create's OData-EntityId points at the gateway.
    for (int i = 0; i < 4; i++) {
      HttpResponse<Buffer> created = await(client.postAbs(gateway + "/crm/api/data/v9.2/accounts")
          .putHeader(ApiKeys.HEADER, sandbox.callerKey()).putHeader("content-type", "application/json")
          .sendJsonObject(new JsonObject().put("name", "Paging " + i)));
      assertThat(created.statusCode()).isEqualTo(204);
      String entityId = created.getHeader("OData-EntityId");
      assertThat(entityId).startsWith(gateway + "/crm/api/data/v9.2/accounts(");
      assertThat(get(entityId).statusCode()).as("the rewritten OData-EntityId works").isEqualTo(200);
    }
    List<String> expected = sandbox.dataverse().accounts().stream().map(a -> a.getString("accountid")).toList();
    assertThat(expected).hasSizeGreaterThanOrEqualTo(7);

    List<String> ids = new ArrayList<>();
    String next = gateway + "/crm/api/data/v9.2/accounts?$select=name";
    int pages = 0;
    while (next != null) {
      HttpResponse<Buffer> page = await(client.getAbs(next).putHeader(ApiKeys.HEADER, sandbox.callerKey())
          .putHeader("Prefer", "odata.maxpagesize=3").send());
      // What reached Dataverse is the link it wrote, after the origin, byte for byte.
      String reached = sandbox.dataverse().received().stream().reduce((a, b) -> b).orElseThrow().uri();
      assertThat(gateway + "/crm" + reached).isEqualTo(next);
      assertThat(page.statusCode()).as("page %d: %s", pages + 1, page.bodyAsString()).isEqualTo(200);
      JsonObject body = page.bodyAsJsonObject();
      body.getJsonArray("value").forEach(account -> ids.add(((JsonObject) account).getString("accountid")));
      next = body.getString("@odata.nextLink");
      if (next != null) {
        assertThat(next).startsWith(gateway + "/crm/api/data/v9.2/accounts?$select=name&$skiptoken=%3Ccookie%20pagenumber=");
        assertThat(next).doesNotContain("contoso.crm.dynamics.com");
      }
      pages++;
    }
    assertThat(ids).containsExactlyElementsOf(expected);
    assertThat(pages).isEqualTo((expected.size() + 2) / 3);
    assertTheKeyNeverLeft(sandbox.dataverse().received());
  }

  @Test
  void aPageSizeAboveDataversesLimitIsLoweredTo5000() {
    HttpResponse<Buffer> page = await(client.getAbs(gateway + "/crm/api/data/v9.2/accounts?$select=name")
        .putHeader(ApiKeys.HEADER, sandbox.callerKey()).putHeader("Prefer", "odata.include-annotations=\"*\", odata.maxpagesize=9999")
        .send());
    assertThat(page.statusCode()).isEqualTo(200);
    ReceivedRequest received = sandbox.dataverse().received().stream().reduce((a, b) -> b).orElseThrow();
    assertThat(received.header("Prefer")).isEqualTo("odata.include-annotations=\"*\",odata.maxpagesize=5000");
  }

  @Test
  void aPercentEncodedDollarIsTheOptionItNames() {
    // Python's requests and URLSearchParams encode '$': the gateway reads %24select as $select and forwards that.
    HttpResponse<Buffer> page = get(gateway + "/graph/v1.0/users?%24select=id&%24top=1");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.bodyAsJsonObject().getString("@odata.nextLink"))
        .isEqualTo(gateway + "/graph/v1.0/users?$select=id&$top=1&$skiptoken=b2Zmc2V0OjE");
    assertThat(sandbox.graph().received().stream().reduce((a, b) -> b).orElseThrow().uri())
        .isEqualTo("/v1.0/users?$select=id&$top=1");
  }

  private void assertTheKeyNeverLeft(List<ReceivedRequest> received) {
    assertThat(received).isNotEmpty().allSatisfy(request -> {
      assertThat(request.header(ApiKeys.HEADER)).isNull();
      assertThat(request.headers().toString()).doesNotContain(sandbox.callerKey());
      assertThat(request.uri()).doesNotContain(sandbox.callerKey());
    });
  }

  private HttpResponse<Buffer> get(String url) {
    URI uri = URI.create(url);
    assertThat(uri.getHost()).isEqualTo("127.0.0.1");
    return await(client.getAbs(url).putHeader(ApiKeys.HEADER, sandbox.callerKey()).send());
  }
}
