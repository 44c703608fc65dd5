package dev.spgateway.policy.batch;

import static dev.spgateway.policy.batch.BatchFixtures.MULTIPART;
import static dev.spgateway.policy.batch.BatchFixtures.changeSet;
import static dev.spgateway.policy.batch.BatchFixtures.dataverseBatch;
import static dev.spgateway.policy.batch.BatchFixtures.graphBatch;
import static dev.spgateway.policy.batch.BatchFixtures.graphRequest;
import static dev.spgateway.policy.batch.BatchFixtures.part;
import static dev.spgateway.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.identity.ApiKeys;
import dev.spgateway.sandbox.ReceivedRequest;
import dev.spgateway.sandbox.Sandbox;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Batches through a running gateway to the sandbox's Graph and Dataverse stand-ins (which verify the bearer
 * token): allowed ones arrive byte for byte with the service principal's token; refused ones reach nothing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BatchEndToEndTest {

  static final String GRAPH = "/graph/v1.0/$batch";
  static final String CRM = "/crm/api/data/v9.2/$batch";
  static final String JSON = "application/json";
  static final String ACCOUNT = "6f1c2f3e-0b1a-4c2d-9e8f-7a6b5c4d3e2f";

  Vertx vertx;
  Path dir;
  Sandbox sandbox;
  WebClient client;
  /** request id → status the caller saw: each must leave exactly one audit record with that status. */
  final Map<String, Integer> answered = new ConcurrentHashMap<>();

  record Answer(int status, MultiMap headers, Buffer body) {
    JsonObject json() {
      return body.toJsonObject();
    }
  }

  @BeforeAll
  void start(@TempDir Path tempDir) throws Exception {
    dir = tempDir;
    vertx = Vertx.vertx();
    // Key generation and the Key Vault SDK's first use took over 10 s on a loaded 2-core machine: wait longer here.
    sandbox = Sandbox.start(vertx, Path.of("src/test/resources/batch-sandbox.yaml"), 0, 0, tempDir)
        .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    client = WebClient.create(vertx);
  }

  @AfterAll
  void stop() throws Exception {
    await(sandbox.close());
    List<JsonObject> records = Files.readAllLines(sandbox.auditFile()).stream().map(JsonObject::new).toList();
    answered.forEach((requestId, status) -> assertThat(records)
        .filteredOn(r -> requestId.equals(r.getString("requestId")))
        .singleElement()
        .satisfies(r -> assertThat(r.getInteger("status")).isEqualTo(status)));
    assertThat(records).anySatisfy(r -> {
      assertThat(r.getString("path")).isEqualTo("/v1.0/$batch");
      assertThat(r.getString("rule")).isEqualTo(BatchJudge.RULE_ID);
      assertThat(r.getString("servicePrincipal")).isEqualTo("finance");
      assertThat(r.getString("outcome")).isEqualTo("forwarded");
    });
    assertThat(records).anySatisfy(r -> {
      assertThat(r.getString("problem")).isEqualTo("batch-denied");
      assertThat(r.getString("reason")).contains("'wipe'", "'boss'");
    });
    assertThat(Files.readString(sandbox.auditFile())).doesNotContain(sandbox.callerKey());
    await(vertx.close());
  }

  Answer send(String path, String contentType, Buffer body, boolean chunked) {
    HttpRequest<Buffer> request = client.post(sandbox.gateway().port(), "127.0.0.1", path)
        .putHeader(ApiKeys.HEADER, sandbox.callerKey());
    if (contentType != null) request.putHeader("Content-Type", contentType);
    // A stream without a length goes chunked (in 8 KiB reads of the file): the gateway sees no Content-Length.
    HttpResponse<Buffer> response = await(chunked
        ? vertx.fileSystem().writeFile(dir.resolve("chunked-body").toString(), body)
            .compose(written -> vertx.fileSystem().open(dir.resolve("chunked-body").toString(), new OpenOptions()))
            .compose(request::sendStream)
        : request.sendBuffer(body));
    Buffer received = response.body() == null ? Buffer.buffer() : response.body();
    answered.put(response.getHeader("client-request-id"), response.statusCode());
    return new Answer(response.statusCode(), response.headers(), received);
  }

  ReceivedRequest lastReceived(List<ReceivedRequest> received) {
    return received.get(received.size() - 1);
  }

  @Test
  void anAllowedGraphBatchArrivesByteForByteWithTheServicePrincipalsToken() {
    String user = sandbox.exampleUserId();
    Buffer body = Buffer.buffer(graphBatch(graphRequest("1", "GET", "/users/" + user),
        graphRequest("2", "GET", "users/" + user).put("dependsOn", List.of("1"))));

    Answer answer = send(GRAPH, JSON, body, false);

    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.json().getJsonArray("responses").getJsonObject(0).getJsonObject("body").getString("id"))
        .isEqualTo(user);
    ReceivedRequest received = lastReceived(sandbox.graph().received());
    assertThat(received.uri()).isEqualTo("/v1.0/$batch");
    assertThat(received.body()).isEqualTo(body);
    assertThat(received.header("Authorization")).startsWith("Bearer ey"); // the stand-in verified it: no 401
    assertThat(received.header(ApiKeys.HEADER)).isNull();
  }

  @Test
  void anAllowedDataverseBatchSentChunkedArrivesByteForByte() {
    Buffer body = Buffer.buffer(dataverseBatch(
        part(null, "GET /api/data/v9.2/accounts HTTP/1.1\nAccept: application/json\n"),
        changeSet("changeset_1",
            part("1", "POST accounts HTTP/1.1\nContent-Type: application/json\n\n{\"name\":\"Contoso\"}"),
            part("2", "PATCH $1 HTTP/1.1\nContent-Type: application/json\n\n{\"name\":\"Fabrikam\"}"))));

    Answer answer = send(CRM, MULTIPART, body, true);

    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.headers().get("Content-Type")).startsWith("multipart/mixed; boundary=batchresponse_");
    assertThat(answer.body().toString()).contains("HTTP/1.1 200 OK", "Fourth Coffee (sample)");
    ReceivedRequest received = lastReceived(sandbox.dataverse().received());
    assertThat(received.uri()).isEqualTo("/api/data/v9.2/$batch");
    assertThat(received.body()).isEqualTo(body);
    assertThat(received.header("Content-Length")).isEqualTo(String.valueOf(body.length()));
    assertThat(received.header("Authorization")).startsWith("Bearer ey");
  }

  record Hostile(String path, String contentType, String body, boolean chunked, int status, String type) {}

  static Arguments hostile(String name, String path, String contentType, String body, int status, String type) {
    return Arguments.of(Named.of(name, new Hostile(path, contentType, body, false, status, type)));
  }

  static Stream<Arguments> hostileBatches() {
    String user = "87d349ed-44d7-43e1-9a83-5f2406dee5bd";
    String get = "GET /api/data/v9.2/accounts HTTP/1.1\n";
    String post = "POST /api/data/v9.2/accounts HTTP/1.1\nContent-Type: application/json\n\n{}";
    String big = graphBatch(IntStream.range(0, 20)
        .mapToObj(i -> graphRequest("r" + i, "GET", "/users/" + user + "?pad=" + "x".repeat(3500)))
        .toArray(JsonObject[]::new));
    return Stream.of(
        hostile("a denied path smuggled behind dependsOn", GRAPH, JSON, graphBatch(graphRequest("1", "GET", "/users/" + user),
            graphRequest("2", "DELETE", "/users/" + user).put("dependsOn", List.of("1"))), 403, "batch-denied"),
        hostile("an absolute URL to another host", GRAPH, JSON,
            graphBatch(graphRequest("1", "GET", "https://evil.example/v1.0/users/" + user)), 400, "bad-batch"),
        hostile("a scheme-relative URL", GRAPH, JSON,
            graphBatch(graphRequest("1", "GET", "//evil.example/v1.0/users/" + user)), 400, "bad-batch"),
        hostile("a $batch inside a batch", GRAPH, JSON, graphBatch(graphRequest("1", "POST", "/$batch")), 400, "bad-batch"),
        hostile("encoded dot segments in a sub-URL", GRAPH, JSON,
            graphBatch(graphRequest("1", "GET", "/users/" + user + "/%2e%2e/%2e%2e/groups")), 400, "bad-batch"),
        hostile("an encoded slash in a sub-URL", GRAPH, JSON,
            graphBatch(graphRequest("1", "GET", "/users/" + user + "%2Fmanager")), 400, "bad-batch"),
        hostile("a double-encoded dot in a sub-URL", GRAPH, JSON,
            graphBatch(graphRequest("1", "GET", "/users/%252e%252e")), 400, "bad-batch"),
        hostile("21 Graph requests", GRAPH, JSON, graphBatch(IntStream.range(0, 21)
            .mapToObj(i -> graphRequest("r" + i, "GET", "/users/" + user)).toArray(JsonObject[]::new)), 400, "bad-batch"),
        hostile("a duplicated url key", GRAPH, JSON, "{\"requests\":[{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/users/"
            + user + "\",\"url\":\"/groups\"}]}", 400, "bad-batch"),
        hostile("a URL key in another case", GRAPH, JSON, "{\"requests\":[{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/users/"
            + user + "\",\"URL\":\"/groups\"}]}", 400, "bad-batch"),
        hostile("a caller's own Authorization inside", GRAPH, JSON, graphBatch(graphRequest("1", "GET", "/users/" + user)
            .put("headers", new JsonObject().put("authorization", "Bearer somebody-elses"))), 400, "bad-batch"),
        hostile("a lower-case method", GRAPH, JSON, graphBatch(graphRequest("1", "delete", "/users/" + user)), 400, "bad-batch"),
        hostile("$BATCH in capitals, which a placeholder rule would match", "/graph/V1.0/$BATCH", JSON,
            graphBatch(graphRequest("1", "GET", "/users/" + user)), 400, "bad-batch"),
        hostile("$batch in capitals on the right version", "/graph/v1.0/$BATCH", JSON,
            graphBatch(graphRequest("1", "GET", "/users/" + user)), 400, "bad-batch"),
        hostile("a percent-encoded $batch", "/graph/v1.0/%24batch", JSON,
            graphBatch(graphRequest("1", "GET", "/users/" + user)), 400, "bad-batch"),
        hostile("a $batch with a query", GRAPH + "?$select=id", JSON,
            graphBatch(graphRequest("1", "GET", "/users/" + user)), 400, "bad-batch"),
        hostile("a Graph batch as text/plain", GRAPH, "text/plain", graphBatch(graphRequest("1", "GET", "/users/" + user)),
            415, "unsupported-media-type"),
        hostile("a body over the bound", GRAPH, JSON, big, 413, "body-too-large"),
        Arguments.of(Named.of("a chunked body over the bound", new Hostile(GRAPH, JSON, big, true, 413, "body-too-large"))),
        hostile("a multipart batch without boundary", CRM, "multipart/mixed", dataverseBatch(part(null, get)), 400, "bad-batch"),
        hostile("a change set inside a change set", CRM, MULTIPART,
            dataverseBatch(changeSet("cs1", changeSet("cs2", part("1", post)))), 400, "bad-batch"),
        hostile("an absolute URL to another environment", CRM, MULTIPART,
            dataverseBatch(part(null, "GET https://fabrikam.crm.dynamics.com/api/data/v9.2/accounts HTTP/1.1\n")),
            400, "bad-batch"),
        hostile("the boundary inside a body", CRM, MULTIPART, dataverseBatch(part(null,
            post.replace("{}", "{\"x\":\"--" + BatchFixtures.BOUNDARY + "\"}"))), 400, "bad-batch"),
        hostile("a reference outside a change set", CRM, MULTIPART,
            dataverseBatch(part("1", post), part("2", "PATCH $1 HTTP/1.1\n\n{}")), 400, "bad-batch"),
        hostile("a denied DELETE inside a change set", CRM, MULTIPART, dataverseBatch(changeSet("cs", part("1", post),
            part("2", "DELETE /api/data/v9.2/accounts(" + ACCOUNT + ") HTTP/1.1\n"))), 403, "batch-denied"),
        hostile("a Content-Length that hides a second request", CRM, MULTIPART, dataverseBatch(part(null,
            "POST /api/data/v9.2/accounts HTTP/1.1\nContent-Length: 2\n\n{}\nDELETE /api/data/v9.2/accounts(" + ACCOUNT
                + ") HTTP/1.1\n")), 400, "bad-batch"),
        hostile("impersonation inside a part", CRM, MULTIPART,
            dataverseBatch(part(null, get + "CallerObjectId: 7f0d0000-0000-4000-8000-000000000000\n")), 400, "bad-batch"),
        hostile("$BATCH in capitals on Dataverse", "/crm/api/data/v9.2/$BATCH", MULTIPART, dataverseBatch(part(null, get)),
            400, "bad-batch"),
        hostile("base64 parts", CRM, MULTIPART,
            dataverseBatch("Content-Type: application/http\nContent-Transfer-Encoding: base64\n\nR0VUIC8="), 400, "bad-batch"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostileBatches")
  void hostileBatchesAreRefusedAndReachNothing(Hostile hostile) {
    int graphBefore = sandbox.graph().requestCount();
    int dataverseBefore = sandbox.dataverse().requestCount();

    Answer answer = send(hostile.path(), hostile.contentType(), Buffer.buffer(hostile.body()), hostile.chunked());

    assertThat(answer.status()).isEqualTo(hostile.status());
    JsonObject problem = answer.json();
    assertThat(answer.headers().get("Content-Type")).isEqualTo("application/problem+json");
    assertThat(problem.getString("type")).isEqualTo("urn:sp-gateway:problem:" + hostile.type());
    assertThat(problem.getString("detail")).isNotBlank();
    assertThat(problem.getString("requestId")).isEqualTo(answer.headers().get("client-request-id"));
    assertThat(sandbox.graph().requestCount()).isEqualTo(graphBefore);
    assertThat(sandbox.dataverse().requestCount()).isEqualTo(dataverseBefore);
  }

  @Test
  void theRefusalNamesEachDeniedSubRequest() {
    String user = sandbox.exampleUserId();
    int graphBefore = sandbox.graph().requestCount();
    Answer answer = send(GRAPH, JSON, Buffer.buffer(graphBatch(graphRequest("read", "GET", "/users/" + user),
        graphRequest("wipe", "DELETE", "/users/" + user), graphRequest("boss", "GET", "/users/" + user + "/manager"))),
        false);
    assertThat(answer.status()).isEqualTo(403);
    assertThat(answer.json().getString("detail")).isEqualTo("2 of 3 sub-requests are denied, so none was sent: "
        + "'wipe': no rule of caller 'invoice-flow' allows DELETE /v1.0/users/" + user + " on 'graph'; "
        + "'boss': no rule of caller 'invoice-flow' allows GET /v1.0/users/" + user + "/manager on 'graph'");
    assertThat(sandbox.graph().requestCount()).isEqualTo(graphBefore);
  }
}
