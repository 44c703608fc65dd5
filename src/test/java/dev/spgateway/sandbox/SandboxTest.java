package dev.spgateway.sandbox;

import static dev.spgateway.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.identity.ApiKeys;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** What the README's first command shows a newcomer, checked: the calls the sandbox prints behave as printed. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SandboxTest {

  Vertx vertx;
  Sandbox sandbox;
  WebClient client;
  int port;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    vertx = Vertx.vertx();
    // A first start loads many classes: on a busy machine it can take longer than await's 10 s.
    sandbox = Sandbox.start(vertx, Path.of("config/sandbox.yaml"), 0, 0, dir)
        .toCompletionStage().toCompletableFuture().get(60, java.util.concurrent.TimeUnit.SECONDS);
    client = WebClient.create(vertx);
    port = sandbox.gateway().port();
  }

  @AfterAll
  void stop() throws Exception {
    await(sandbox.close());
    assertThat(readAudit(sandbox)).extracting(r -> r.getString("outcome")).contains("forwarded", "denied");
    assertThat(Files.readString(sandbox.auditFile())).doesNotContain(sandbox.callerKey());
    await(vertx.close());
  }

  @Test
  void theAllowedCallsGoThroughToGraphAndDataverse() {
    var user = get("/graph/v1.0/users/" + sandbox.exampleUserId(), sandbox.callerKey());
    assertThat(user.statusCode()).isEqualTo(200);
    assertThat(user.bodyAsJsonObject().getString("id")).isEqualTo(sandbox.exampleUserId());

    var accounts = get("/crm/api/data/v9.2/accounts?$select=name", sandbox.callerKey());
    assertThat(accounts.statusCode()).isEqualTo(200);
    assertThat(accounts.bodyAsJsonObject().getJsonArray("value")).isNotEmpty();
  }

  @Test
  void theDeniedAndUnauthenticatedCallsAreRefused() {
    var delete = await(client.delete(port, "127.0.0.1", "/graph/v1.0/users/" + sandbox.exampleUserId())
        .putHeader(ApiKeys.HEADER, sandbox.callerKey()).send());
    assertThat(delete.statusCode()).isEqualTo(403);
    assertThat(get("/graph/v1.0/users/" + sandbox.exampleUserId(), null).statusCode()).isEqualTo(401);
  }

  @Test
  void entraRefusingTheSecretIsA502NamingItsCodeAndEntraDownIsA503(@TempDir Path dir) {
    // A sandbox of its own, so that no earlier call has cached the token.
    Sandbox fresh = await(Sandbox.start(vertx, Path.of("config/sandbox.yaml"), 0, 0, dir));
    try {
      String path = "/crm/api/data/v9.2/WhoAmI";
      fresh.entra().failNext(1, 401, "invalid_client", 7000215);
      var refused = get(fresh, path);
      assertThat(refused.statusCode()).isEqualTo(502);
      JsonObject problem = refused.bodyAsJsonObject();
      assertThat(problem.getString("type")).isEqualTo("urn:sp-gateway:problem:token-request-failed");
      // The caller is told little; the operators' detail is in the audit record (checked below).
      assertThat(problem.getString("detail")).contains("could not get a token").doesNotContain("finance", "invalid_client",
          "AADSTS", Sandbox.TENANT);
      assertThat(problem.getString("requestId")).isNotBlank();

      fresh.entra().failNext(1, 503, "temporarily_unavailable", 90033);
      var unavailable = get(fresh, path);
      assertThat(unavailable.statusCode()).isEqualTo(503);
      assertThat(unavailable.getHeader("retry-after")).isEqualTo("5");
      assertThat(unavailable.bodyAsJsonObject().getString("detail")).doesNotContain("finance", "AADSTS");

      assertThat(get(fresh, path).statusCode()).as("recovers").isEqualTo(200);
    } finally {
      await(fresh.close());
    }
    assertThat(readAudit(fresh)).extracting(r -> r.getString("outcome")).containsExactly("failed", "failed", "forwarded");
    assertThat(readAudit(fresh).get(0).getString("reason")).contains("'finance'", "invalid_client", "AADSTS7000215");
    assertThat(readAudit(fresh).get(1).getString("reason")).contains("'finance'", "AADSTS90033");
  }

  private HttpResponse<Buffer> get(Sandbox target, String path) {
    return await(client.get(target.gateway().port(), "127.0.0.1", path).putHeader(ApiKeys.HEADER, target.callerKey()).send());
  }

  private static List<JsonObject> readAudit(Sandbox target) {
    try {
      return Files.readAllLines(target.auditFile()).stream().map(JsonObject::new).toList();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private HttpResponse<Buffer> get(String path, String key) {
    var request = client.get(port, "127.0.0.1", path);
    if (key != null) request.putHeader(ApiKeys.HEADER, key);
    return await(request.send());
  }
}
