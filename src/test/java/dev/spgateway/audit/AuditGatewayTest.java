package dev.spgateway.audit;

import static dev.spgateway.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.identity.ApiKeys;
import dev.spgateway.sandbox.Sandbox;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The audit log of a running gateway (the sandbox: real Entra, Key Vault and Graph stand-ins). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuditGatewayTest {

  /** Its SHA-256 is in src/test/resources/audit/sandbox-audit*.yaml as audit.readers[0]. */
  static final String READER_KEY = "spg_audit-reader-key-for-tests-only-0000000000";
  /** What a secret in a record would look like: a JWT, a caller or reader key, an Authorization value. */
  static final Pattern SECRET_SHAPED = Pattern.compile("eyJ[A-Za-z0-9_-]{10,}|spg_[A-Za-z0-9_-]{20,}|Bearer ");

  Vertx vertx;
  Sandbox sandbox;
  Sandbox strict;
  WebClient client;
  final List<Path> auditFiles = new ArrayList<>();

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    vertx = Vertx.vertx();
    // Strict: a record is on disk when its response arrives, so the tests can read it at once.
    // A first start loads many classes: on a busy machine it can take longer than await's 10 s.
    strict = Sandbox.start(vertx, Path.of("src/test/resources/audit/sandbox-audit-strict.yaml"), 0, 0, dir)
        .toCompletionStage().toCompletableFuture().get(60, java.util.concurrent.TimeUnit.SECONDS);
    sandbox = strict;
    auditFiles.add(strict.auditFile());
    client = WebClient.create(vertx);
  }

  @AfterAll
  void stop() throws IOException {
    await(strict.close());
    for (Path file : auditFiles) {
      String text = Files.readString(file);
      assertThat(text).isNotEmpty();
      assertThat(text).doesNotContain(strict.callerKey()).doesNotContain(READER_KEY);
      assertThat(SECRET_SHAPED.matcher(text).find()).as("a secret-shaped string in " + file).isFalse();
      assertThat(AuditVerifier.verify(new AuditFiles(file)).whole()).isTrue();
      assertMatchesTheSchema(Files.readAllLines(file));
    }
    await(vertx.close());
  }

  @Test
  void aForwardedRequestIsRecordedWithWhoAsWhomWhatAndHowMuch() {
    HttpResponse<Buffer> response = call(sandbox, "GET", "/crm/api/data/v9.2/accounts?$select=name&$top=2");
    assertThat(response.statusCode()).isEqualTo(200);
    String requestId = response.getHeader("client-request-id");
    JsonObject record = page(sandbox, "requestId=" + requestId, READER_KEY).bodyAsJsonObject()
        .getJsonArray("records").getJsonObject(0);
    assertThat(record.getString("caller")).isEqualTo("invoice-flow");
    assertThat(record.getString("authentication")).isEqualTo("api-key");
    assertThat(record.getString("servicePrincipal")).isEqualTo("finance");
    assertThat(record.getString("clientId")).matches("[0-9a-f-]{36}");
    assertThat(record.getString("upstream")).isEqualTo("crm");
    assertThat(record.getString("path")).isEqualTo("/api/data/v9.2/accounts");
    assertThat(record.getJsonArray("queryOptions")).containsExactly("$select", "$top");
    // Values only of the options the operator listed: both are listed here.
    assertThat(record.getJsonObject("queryValues").getString("$top")).isEqualTo("2");
    assertThat(record.getString("rule")).startsWith("routes[1]");
    assertThat(record.getInteger("status")).isEqualTo(200);
    assertThat(record.getLong("bytesOut")).isEqualTo(response.body().length());
    assertThat(record.getDouble("upstreamMs")).isPositive();
    assertThat(record.getString("upstreamRequestId")).isNotBlank();
  }

  @Test
  void theAdminApiAnswersOnlyAuditReadersAndPages() {
    for (int i = 0; i < 5; i++) call(sandbox, "DELETE", "/graph/v1.0/users/" + sandbox.exampleUserId());
    assertThat(page(sandbox, "", null).statusCode()).isEqualTo(401);
    HttpResponse<Buffer> withCallerKey = page(sandbox, "", sandbox.callerKey());
    assertThat(withCallerKey.statusCode()).isEqualTo(401);
    assertThat(withCallerKey.bodyAsJsonObject().getString("type")).isEqualTo("urn:sp-gateway:problem:unknown-audit-reader");

    List<String> ids = new ArrayList<>();
    String cursor = null;
    do {
      HttpResponse<Buffer> page = page(sandbox, "outcome=denied&status=403&limit=2" + (cursor == null ? "" : "&cursor=" + cursor),
          READER_KEY);
      assertThat(page.statusCode()).isEqualTo(200);
      JsonArray records = page.bodyAsJsonObject().getJsonArray("records");
      assertThat(records.size()).isLessThanOrEqualTo(2);
      records.forEach(r -> ids.add(((JsonObject) r).getString("requestId")));
      cursor = page.bodyAsJsonObject().getString("next");
    } while (cursor != null);
    assertThat(ids).hasSizeGreaterThanOrEqualTo(5).doesNotHaveDuplicates();

    HttpResponse<Buffer> bad = page(sandbox, "status=4x", READER_KEY);
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.bodyAsJsonObject().getString("detail")).contains("4xx");
  }

  @Test
  void inStrictModeTheRecordIsOnDiskWhenTheCallerHasTheResponse() throws IOException {
    String[][] calls = {
        {"GET", "/graph/v1.0/users/" + strict.exampleUserId()},  // streamed body
        {"DELETE", "/graph/v1.0/users/" + strict.exampleUserId()}, // refused by the gateway
        {"GET", "/crm/api/data/v9.2/WhoAmI"}};
    for (int round = 0; round < 10; round++) {
      for (String[] call : calls) {
        HttpResponse<Buffer> response = call(strict, call[0], call[1]);
        String requestId = response.getHeader("client-request-id");
        // Read at once: no flush interval to wait for, the response was held until the record was written.
        assertThat(Files.readString(strict.auditFile())).as(call[0] + " " + response.statusCode() + " " + requestId).contains("\"requestId\":\"" + requestId + "\"");
      }
    }
    HttpResponse<Buffer> unauthenticated = await(client.get(strict.gateway().port(), "127.0.0.1", "/graph/v1.0/users").send());
    assertThat(unauthenticated.statusCode()).isEqualTo(401);
    assertThat(Files.readString(strict.auditFile())).contains("\"requestId\":\"" + unauthenticated.getHeader("client-request-id") + "\"");
  }

  /** Every member of every record is one docs/audit-record.schema.json describes, and the required ones are there. */
  static void assertMatchesTheSchema(List<String> lines) throws IOException {
    JsonObject schema = new JsonObject(Files.readString(Path.of("docs/audit-record.schema.json")));
    java.util.Set<String> known = schema.getJsonObject("properties").fieldNames();
    List<Object> required = schema.getJsonArray("required").getList();
    for (String line : lines) {
      JsonObject record = new JsonObject(line);
      assertThat(known).containsAll(record.fieldNames());
      assertThat(record.fieldNames()).containsAll(required.stream().map(String::valueOf).toList());
      assertThat(record.getInteger("v")).isEqualTo(1);
    }
  }

  private HttpResponse<Buffer> call(Sandbox target, String method, String path) {
    HttpRequest<Buffer> request = client.request(io.vertx.core.http.HttpMethod.valueOf(method), target.gateway().port(),
        "127.0.0.1", path).putHeader(ApiKeys.HEADER, target.callerKey());
    return await(request.send());
  }

  private HttpResponse<Buffer> page(Sandbox target, String query, String bearer) {
    HttpRequest<Buffer> request = client.get(target.gateway().adminPort(), "127.0.0.1", AuditApi.PATH + "?" + query);
    if (bearer != null) request.putHeader("Authorization", "Bearer " + bearer);
    return await(request.send());
  }
}
