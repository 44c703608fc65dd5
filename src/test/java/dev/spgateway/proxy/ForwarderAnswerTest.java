package dev.spgateway.proxy;

import static dev.spgateway.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.credential.AccessToken;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpVersion;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a caller gets of an upstream's answer through the forwarder: its status and reason, its headers but the
 * hop-by-hop ones, cookies and the upstream's own length, the request id, the body with its length, and a Date.
 */
class ForwarderAnswerTest {

  static final String IMF_FIXDATE = "[A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT";

  final Vertx vertx = Vertx.vertx();
  /** The status and headers of the upstream's next answers. */
  final Queue<MultiMap> answers = new ConcurrentLinkedQueue<>();
  Forwarder forwarder;
  HttpServer front;
  HttpClient caller;

  @BeforeEach
  void start() {
    HttpServer upstream = await(vertx.createHttpServer().requestHandler(request -> {
      MultiMap headers = answers.poll();
      var response = request.response();
      String status = headers.get("x-status");
      if (status != null) response.setStatusCode(Integer.parseInt(status)).setStatusMessage("Took Its Time");
      boolean chunked = headers.contains("x-chunked");
      response.headers().addAll(headers.remove("x-status").remove("x-chunked"));
      if (response.getStatusCode() == 304) {
        response.end();
        return;
      }
      response.putHeader("content-type", "application/json");
      if (request.method() == HttpMethod.HEAD) { // the length of what a GET would get, and no body
        response.putHeader("content-length", "11").end();
      } else if (chunked) {
        response.setChunked(true).write("{\"id\":");
        response.end("\"42\"}");
      } else {
        response.end("{\"id\":\"42\"}");
      }
    }).listen(0, "127.0.0.1"));
    Upstream target = new Upstream("graph", UpstreamConfig.UpstreamKind.graph, "127.0.0.1", upstream.actualPort(),
        false, "", "https://graph.microsoft.com/.default", "request-id", 5_000L, 5_000L, List.of());
    forwarder = new Forwarder(vertx::createHttpClient, new Links("http://127.0.0.1:1"));
    AccessToken token = new AccessToken("t", Instant.now().plusSeconds(3600));
    front = await(vertx.createHttpServer().requestHandler(request -> {
      request.pause();
      forwarder.prepare(request, target, request.uri(), "rid-1", null, null)
          .compose(outbound -> forwarder.send(outbound, target, token))
          .compose(answer -> forwarder.respond(answer, request, "rid-1"));
    }).listen(0, "127.0.0.1"));
    caller = vertx.createHttpClient();
  }

  @AfterEach
  void stop() {
    forwarder.close();
    await(vertx.close());
  }

  @Test
  void theUpstreamsDateReachesTheCallerAsItIs() {
    for (String date : List.of("Sun, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:38 GMT")) {
      answers.add(MultiMap.caseInsensitiveMultiMap().add("Date", date));
    }
    assertThat(get().getHeader("date")).isEqualTo("Sun, 06 Nov 1994 08:49:37 GMT");
    assertThat(get().getHeader("date")).as("the same Date again").isEqualTo("Sun, 06 Nov 1994 08:49:37 GMT");
    assertThat(get().getHeader("date")).isEqualTo("Sun, 06 Nov 1994 08:49:38 GMT");
  }

  @Test
  void aMissingUnreadableOrObsoleteDateBecomesTheGatewaysTime() {
    answers.add(MultiMap.caseInsensitiveMultiMap());
    answers.add(MultiMap.caseInsensitiveMultiMap().add("Date", "yesterday"));
    answers.add(MultiMap.caseInsensitiveMultiMap().add("Date", "yesterday"));
    answers.add(MultiMap.caseInsensitiveMultiMap().add("Date", "Sun, 6 Nov 1994 08:49:37 GMT")); // day without its 0
    answers.add(MultiMap.caseInsensitiveMultiMap().add("Date", "Sunday, 06-Nov-94 08:49:37 GMT")); // RFC 850
    Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    for (int i = 0; i < 5; i++) {
      String date = get().getHeader("date");
      assertThat(date).matches(IMF_FIXDATE);
      assertThat(ZonedDateTime.parse(date, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant())
          .isBetween(before, Instant.now());
    }
  }

  @Test
  void theCallerGetsTheUpstreamsHeadersButThoseOfOneHopAndItsCookies() {
    answers.add(MultiMap.caseInsensitiveMultiMap()
        .add("x-status", "203")
        .add("request-id", "r1")
        .add("Cache-Control", "public, max-age=60").add("ETag", "\"v1\"")
        .add("Warning", "199 - \"kept as sent\"")
        .add("x-multi", "a").add("x-multi", "b")
        .add("Set-Cookie", "affinity=backend-3").add("Set-Cookie2", "old=1")
        .add("Keep-Alive", "timeout=5").add("Connection", "keep-alive, X-Between-Hops").add("X-Between-Hops", "1")
        .add("client-request-id", "the-upstream's"));
    HttpClientResponse answer = get();
    assertThat(answer.statusCode()).isEqualTo(203);
    assertThat(answer.statusMessage()).isEqualTo("Took Its Time");
    assertThat(answer.getHeader("request-id")).isEqualTo("r1");
    assertThat(answer.getHeader("cache-control")).isEqualTo("public, max-age=60");
    assertThat(answer.getHeader("etag")).isEqualTo("\"v1\"");
    assertThat(answer.getHeader("warning")).isEqualTo("199 - \"kept as sent\"");
    assertThat(answer.headers().getAll("x-multi")).containsExactly("a", "b");
    assertThat(answer.getHeader("client-request-id")).isEqualTo("rid-1");
    assertThat(answer.getHeader("content-type")).isEqualTo("application/json");
    assertThat(answer.getHeader("content-length")).isEqualTo("11");
    for (String dropped : List.of("set-cookie", "set-cookie2", "keep-alive", "x-between-hops")) {
      assertThat(answer.headers().contains(dropped)).as(dropped).isFalse();
    }
  }

  @Test
  void aHeadAnswerKeepsItsLengthAndHasNoBody() {
    answers.add(MultiMap.caseInsensitiveMultiMap());
    Answered answer = call(caller, HttpMethod.HEAD);
    assertThat(answer.response().statusCode()).isEqualTo(200);
    assertThat(answer.response().getHeader("content-length")).isEqualTo("11");
    assertThat(answer.body().length()).isZero();
  }

  @Test
  void aNotModifiedAnswerHasNoBody() {
    answers.add(MultiMap.caseInsensitiveMultiMap().add("x-status", "304").add("ETag", "\"v1\""));
    Answered answer = call(caller, HttpMethod.GET);
    assertThat(answer.response().statusCode()).isEqualTo(304);
    assertThat(answer.response().getHeader("etag")).isEqualTo("\"v1\"");
    assertThat(answer.response().headers().contains("transfer-encoding")).isFalse();
    assertThat(answer.body().length()).isZero();
  }

  @Test
  void anAnswerOfUnknownLengthIsChunkedAndReachesAnHttp10CallerWhole() {
    answers.add(MultiMap.caseInsensitiveMultiMap().add("x-chunked", "yes"));
    Answered chunked = call(caller, HttpMethod.GET);
    assertThat(chunked.response().getHeader("transfer-encoding")).isEqualTo("chunked");
    assertThat(chunked.body().toString()).isEqualTo("{\"id\":\"42\"}");

    answers.add(MultiMap.caseInsensitiveMultiMap().add("x-chunked", "yes"));
    HttpClient http10 = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_1_0));
    Answered whole = call(http10, HttpMethod.GET);
    assertThat(whole.response().getHeader("transfer-encoding")).isNull();
    assertThat(whole.response().getHeader("content-length")).isEqualTo("11");
    assertThat(whole.body().toString()).isEqualTo("{\"id\":\"42\"}");
  }

  record Answered(HttpClientResponse response, Buffer body) {}

  /** One call through the front. */
  private HttpClientResponse get() {
    return call(caller, HttpMethod.GET).response();
  }

  private Answered call(HttpClient client, HttpMethod method) {
    // body() is asked for inside send()'s step on the event loop: chained from this thread instead, it can be
    // attached after the response's end has already been handed out, and then never completes (as in HopByHopTest).
    return await(client.request(method, front.actualPort(), "127.0.0.1", "/v1.0/users/42")
        .compose(request -> request.send().compose(response -> response.body().map(body -> new Answered(response, body)))));
  }
}
