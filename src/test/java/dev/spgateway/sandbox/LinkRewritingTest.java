package dev.spgateway.sandbox;

import static dev.spgateway.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;
import static java.util.concurrent.TimeUnit.SECONDS;

import dev.spgateway.identity.ApiKeys;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * What is rewritten and what is not, against a scripted upstream in Graph's place that checks each bearer
 * token with the sandbox's Entra ID keys: only the upstream's own links (at its URL, or at the API's real
 * origin, https://graph.microsoft.com), only top-level paging links and the link headers; foreign links,
 * compressed bodies and non-JSON bodies pass as they came.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LinkRewritingTest {

  Vertx vertx;
  HttpServer upstream;
  String upstreamUrl;
  volatile BearerVerifier verifier;
  final List<String> upstreamHeaders = new CopyOnWriteArrayList<>();
  Sandbox sandbox;
  WebClient client;
  String gateway;
  byte[] gzipped;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    vertx = Vertx.vertx();
    upstream = await(vertx.createHttpServer().requestHandler(this::answer).listen(0, "127.0.0.1"));
    upstreamUrl = "http://127.0.0.1:" + upstream.actualPort();
    gzipped = gzip("{\"@odata.nextLink\":\"" + upstreamUrl + "/v1.0/users?$skiptoken=1\",\"value\":[]}");
    String config = Files.readString(Path.of("config/sandbox.yaml")).replace("${SANDBOX_GRAPH_URL}", upstreamUrl);
    Path file = Files.writeString(dir.resolve("links.yaml"), config);
    sandbox = Sandbox.start(vertx, file, 0, 0, dir).await(60, SECONDS); // starting is slow on a busy machine
    verifier = new JwksBearerVerifier(vertx, sandbox.entra().jwksUrl(Sandbox.TENANT), sandbox.entra().issuer(Sandbox.TENANT),
        GraphStandIn.AUDIENCE);
    client = WebClient.create(vertx);
    gateway = "http://127.0.0.1:" + sandbox.gateway().port();
  }

  @AfterAll
  void stop() throws Exception {
    await(sandbox.close());
    await(vertx.close());
    assertThat(upstreamHeaders).isNotEmpty().noneMatch(headers -> headers.contains(sandbox.callerKey()));
  }

  private void answer(HttpServerRequest request) {
    upstreamHeaders.add(request.headers().toString());
    String authorization = request.getHeader("authorization");
    BearerVerifier current = verifier;
    if (current == null || authorization == null || !authorization.startsWith("Bearer ")) {
      request.response().setStatusCode(401).end();
      return;
    }
    current.verify(authorization.substring(7)).onFailure(failure -> request.response().setStatusCode(401).end())
        .onSuccess(claims -> script(request));
  }

  private void script(HttpServerRequest request) {
    var response = request.response();
    switch (request.path()) {
      case "/v1.0/users/mixed" -> response.putHeader("content-type", "application/json;odata.metadata=minimal")
          .putHeader("Location", upstreamUrl + "/v1.0/users/x")
          .putHeader("Content-Location", "https://other.example.com/v1.0/users/x")
          .putHeader("OData-EntityId", "https://graph.microsoft.com/v1.0/users('x')")
          .end("{\"@odata.nextLink\":\"https://evil.example.com/v1.0/users?$skiptoken=1\",\"value\":[{\"@odata.nextLink\":\""
              + upstreamUrl + "/inner\"}],\"@odata.deltaLink\":\"https://graph.microsoft.com/v1.0/users/delta?$deltatoken=a%2Bb\"}");
      case "/v1.0/users/plain" -> response.putHeader("content-type", "application/json")
          .end(PLAIN_PAGE.replace("UPSTREAM", upstreamUrl));
      case "/v1.0/users/large" -> response.putHeader("content-type", "application/json")
          .end("{\"value\":[\"" + "x".repeat(70_000) + "\"],\"@odata.nextLink\":\"" + upstreamUrl + "/v1.0/users?$skiptoken=2\"}");
      case "/v1.0/users/pieces" -> {
        // A declared length, the body written in pieces that cut through the link.
        Buffer body = Buffer.buffer("{\"value\":[1],\"@odata.nextLink\":\"" + upstreamUrl + "/v1.0/users?$skiptoken=3\"}");
        response.putHeader("content-type", "application/json").putHeader("content-length", Integer.toString(body.length()));
        int third = body.length() / 3;
        response.write(body.getBuffer(0, third));
        response.write(body.getBuffer(third, 2 * third));
        response.end(body.getBuffer(2 * third, body.length()));
      }
      case "/v1.0/users/gzip" -> response.putHeader("content-type", "application/json")
          .putHeader("content-encoding", "gzip").end(Buffer.buffer(gzipped));
      case "/v1.0/users/text" -> response.putHeader("content-type", "text/plain")
          .end("@odata.nextLink: " + upstreamUrl + "/v1.0/users");
      case "/v1.0/users/split" -> {
        // Many small chunks, the link cut inside its origin, its escapes and its query.
        String body = "{\"value\":[1,2,3],\"@odata.nextLink\":\"" + upstreamUrl.replace("/", "\\/")
            + "\\/v1.0\\/users?$skiptoken=\\u0041b\"}";
        response.setChunked(true).putHeader("content-type", "application/json");
        for (int i = 0; i < body.length(); i += 3) response.write(body.substring(i, Math.min(body.length(), i + 3)));
        response.end();
      }
      default -> response.setStatusCode(404).end();
    }
  }

  @Test
  void onlyTheUpstreamsOwnTopLevelLinksAndLinkHeadersAreRewritten() {
    HttpResponse<Buffer> response = get("/graph/v1.0/users/mixed");
    assertThat(response.statusCode()).isEqualTo(200);
    JsonObject body = response.bodyAsJsonObject();
    assertThat(body.getString("@odata.nextLink")).as("foreign origin").isEqualTo("https://evil.example.com/v1.0/users?$skiptoken=1");
    assertThat(body.getString("@odata.deltaLink")).as("the API's own origin")
        .isEqualTo(gateway + "/graph/v1.0/users/delta?$deltatoken=a%2Bb");
    assertThat(body.getJsonArray("value").getJsonObject(0).getString("@odata.nextLink")).as("not top level")
        .isEqualTo(upstreamUrl + "/inner");
    assertThat(response.getHeader("Location")).isEqualTo(gateway + "/graph/v1.0/users/x");
    assertThat(response.getHeader("Content-Location")).isEqualTo("https://other.example.com/v1.0/users/x");
    assertThat(response.getHeader("OData-EntityId")).isEqualTo(gateway + "/graph/v1.0/users('x')");
  }

  /** No top-level link key as such (only an escaped one, and links below the top level): nothing to rewrite. */
  private static final String PLAIN_PAGE = "{\"@odata.context\":\"UPSTREAM/v1.0/$metadata#users\",\"@odata\\u002enextLink\":"
      + "\"UPSTREAM/v1.0/users?$skiptoken=1\",\"value\":[{\"id\":\"1\",\"@odata.id\":\"UPSTREAM/v1.0/users/1\"}]}";

  @Test
  void aSmallPageIsSentWholeWithItsLengthAndTheRewrittenLinks() {
    HttpResponse<Buffer> response = get("/graph/v1.0/users/mixed");
    assertThat(response.getHeader("transfer-encoding")).isNull();
    assertThat(response.getHeader("content-length")).isEqualTo(Integer.toString(response.body().length()));
    assertThat(response.bodyAsString()).contains(gateway + "/graph/v1.0/users/delta");
  }

  @Test
  void aSmallPageThatComesInPiecesIsGatheredAndRewritten() {
    HttpResponse<Buffer> response = get("/graph/v1.0/users/pieces");
    assertThat(response.bodyAsJsonObject().getString("@odata.nextLink")).isEqualTo(gateway + "/graph/v1.0/users?$skiptoken=3");
    assertThat(response.getHeader("content-length")).isEqualTo(Integer.toString(response.body().length()));
  }

  @Test
  void anHttp10CallerGetsASmallPagesLinksRewrittenAndALargePageUntouched() {
    WebClient http10 = WebClient.create(vertx, new WebClientOptions().setProtocolVersion(HttpVersion.HTTP_1_0));
    try {
      HttpResponse<Buffer> small = await(http10.get(sandbox.gateway().port(), "127.0.0.1", "/graph/v1.0/users/pieces")
          .putHeader(ApiKeys.HEADER, sandbox.callerKey()).send());
      assertThat(small.bodyAsJsonObject().getString("@odata.nextLink")).isEqualTo(gateway + "/graph/v1.0/users?$skiptoken=3");
      HttpResponse<Buffer> large = await(http10.get(sandbox.gateway().port(), "127.0.0.1", "/graph/v1.0/users/large")
          .putHeader(ApiKeys.HEADER, sandbox.callerKey()).send());
      assertThat(large.bodyAsJsonObject().getString("@odata.nextLink")).as("cannot be re-framed for HTTP/1.0")
          .isEqualTo(upstreamUrl + "/v1.0/users?$skiptoken=2");
    } finally {
      http10.close();
    }
  }

  @Test
  void aPageWithoutTopLevelLinksIsPassedOnByteForByte() {
    HttpResponse<Buffer> response = get("/graph/v1.0/users/plain");
    String sent = PLAIN_PAGE.replace("UPSTREAM", upstreamUrl);
    assertThat(response.bodyAsString()).isEqualTo(sent);
    assertThat(response.getHeader("content-length")).isEqualTo(Integer.toString(sent.length()));
  }

  @Test
  void aPageLargerThanIsReadWholeStreamsWithItsLinkRewritten() {
    HttpResponse<Buffer> response = get("/graph/v1.0/users/large");
    assertThat(response.getHeader("transfer-encoding")).isEqualTo("chunked");
    assertThat(response.bodyAsJsonObject().getString("@odata.nextLink")).isEqualTo(gateway + "/graph/v1.0/users?$skiptoken=2");
    assertThat(response.bodyAsJsonObject().getJsonArray("value").getString(0)).hasSize(70_000);
  }

  @Test
  void aCompressedBodyPassesUntouched() {
    HttpResponse<Buffer> response = get("/graph/v1.0/users/gzip");
    assertThat(response.getHeader("content-encoding")).isEqualTo("gzip");
    assertThat(response.getHeader("content-length")).isEqualTo(Integer.toString(gzipped.length));
    assertThat(response.body().getBytes()).isEqualTo(gzipped);
  }

  @Test
  void aBodyThatIsNotJsonPassesUntouched() {
    HttpResponse<Buffer> response = get("/graph/v1.0/users/text");
    assertThat(response.bodyAsString()).isEqualTo("@odata.nextLink: " + upstreamUrl + "/v1.0/users");
    assertThat(response.getHeader("content-length")).isNotNull();
  }

  @Test
  void aLinkInManySmallChunksIsRewritten() {
    HttpResponse<Buffer> response = get("/graph/v1.0/users/split");
    assertThat(response.bodyAsJsonObject().getString("@odata.nextLink"))
        .isEqualTo(gateway + "/graph/v1.0/users?$skiptoken=Ab");
    assertThat(response.bodyAsJsonObject().getJsonArray("value")).hasSize(3);
  }

  private HttpResponse<Buffer> get(String path) {
    return await(client.get(sandbox.gateway().port(), "127.0.0.1", path).putHeader(ApiKeys.HEADER, sandbox.callerKey()).send());
  }

  private static byte[] gzip(String text) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
    return bytes.toByteArray();
  }
}
