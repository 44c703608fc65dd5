package dev.spgateway.proxy;

import static dev.spgateway.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.credential.AccessToken;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.httpproxy.ProxyRequest;
import io.vertx.httpproxy.impl.ParseUtils;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The forwarder answers the caller as vertx-http-proxy would (it does the library's last step itself, to convert
 * each distinct upstream Date once): the Date in RFC 1123 form, stale warnings dropped, the body and its headers.
 */
class ForwarderResponseDateTest {

  final Vertx vertx = Vertx.vertx();
  /** The headers of the upstream's next answers. */
  final Queue<MultiMap> answers = new ConcurrentLinkedQueue<>();
  Forwarder forwarder;
  HttpServer front;
  HttpClient caller;

  @BeforeEach
  void start() {
    HttpServer upstream = await(vertx.createHttpServer().requestHandler(request -> {
      MultiMap headers = answers.poll();
      request.response().headers().setAll(headers);
      request.response().putHeader("content-type", "application/json").end("{\"id\":\"42\"}");
    }).listen(0, "127.0.0.1"));
    Upstream target = new Upstream("graph", UpstreamConfig.UpstreamKind.graph, "127.0.0.1", upstream.actualPort(),
        false, "", "https://graph.microsoft.com/.default", "request-id", 5_000L, 5_000L, java.util.List.of());
    forwarder = new Forwarder(vertx::createHttpClient, new Links("http://127.0.0.1:1"));
    AccessToken token = new AccessToken("t", Instant.now().plusSeconds(3600));
    front = await(vertx.createHttpServer().requestHandler(request -> {
      ProxyRequest proxied = ProxyRequest.reverseProxy(request);
      forwarder.prepare(proxied, target, request.uri(), "rid-1", null)
          .compose(replayable -> forwarder.send(proxied, target, token))
          .compose(response -> {
            if (!"library".equals(request.getHeader("x-answer-by"))) return forwarder.respond(response, "rid-1");
            response.headers().remove("set-cookie").remove("set-cookie2").set("client-request-id", "rid-1");
            return response.send();
          });
    }).listen(0, "127.0.0.1"));
    caller = vertx.createHttpClient();
  }

  @AfterEach
  void stop() {
    forwarder.close();
    await(vertx.close());
  }

  @Test
  void theUpstreamsDateReachesTheCallerSecondBySecond() {
    for (String date : List.of("Sun, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:38 GMT")) {
      answers.add(MultiMap.caseInsensitiveMultiMap().add("Date", date));
    }
    assertThat(get(false).getHeader("date")).isEqualTo("Sun, 6 Nov 1994 08:49:37 GMT");
    assertThat(get(false).getHeader("date")).as("the same Date again").isEqualTo("Sun, 6 Nov 1994 08:49:37 GMT");
    HttpClientResponse next = get(false);
    assertThat(next.getHeader("date")).isEqualTo("Sun, 6 Nov 1994 08:49:38 GMT");
    assertThat(next.getHeader("client-request-id")).isEqualTo("rid-1");
    assertThat(next.getHeader("content-type")).isEqualTo("application/json");
    assertThat(next.getHeader("content-length")).isEqualTo("11");
  }

  @Test
  void theCallerGetsWhatVertxHttpProxyWouldHaveSent() {
    List<MultiMap> upstreamAnswers = List.of(
        MultiMap.caseInsensitiveMultiMap().add("Date", "Sun, 06 Nov 1994 08:49:37 GMT").add("request-id", "r1"),
        MultiMap.caseInsensitiveMultiMap().add("Date", "Sun, 06 Nov 1994 08:49:37 GMT") // a warning to keep, one to drop
            .add("Warning", "112 - \"cache-down\" \"Sun, 06 Nov 1994 08:49:37 GMT\"")
            .add("Warning", "112 - \"cache-down\" \"Sat, 05 Nov 1994 08:49:37 GMT\"")
            .add("Warning", "199 - \"no date\""),
        MultiMap.caseInsensitiveMultiMap().add("Cache-Control", "public, max-age=60").add("ETag", "\"v1\"")
            .add("Date", "Sun, 06 Nov 1994 08:49:39 GMT").add("x-multi", "a").add("x-multi", "b"));
    for (MultiMap answer : upstreamAnswers) {
      answers.add(answer);
      answers.add(answer);
      MultiMap ours = get(false).headers();
      MultiMap library = get(true).headers();
      assertThat(List.copyOf(ours.names())).isEqualTo(List.copyOf(library.names()));
      for (String name : library.names()) assertThat(ours.getAll(name)).as(name).isEqualTo(library.getAll(name));
    }
  }

  @Test
  void noOrAnUnreadableDateBecomesTheGatewaysTime() {
    answers.add(MultiMap.caseInsensitiveMultiMap());
    answers.add(MultiMap.caseInsensitiveMultiMap().add("Date", "yesterday"));
    answers.add(MultiMap.caseInsensitiveMultiMap().add("Date", "yesterday"));
    Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    for (int i = 0; i < 3; i++) {
      assertThat(ParseUtils.parseHeaderDate(get(false).getHeader("date"))).isBetween(before, Instant.now());
    }
  }

  /** One call through the front, answered by the forwarder or, with {@code library}, by vertx-http-proxy itself. */
  private HttpClientResponse get(boolean library) {
    // body() is asked for inside send()'s step on the event loop: chained from this thread instead, it can be
    // attached after the response's end has already been handed out, and then never completes (as in HopByHopTest).
    return await(caller.request(HttpMethod.GET, front.actualPort(), "127.0.0.1", "/v1.0/users/42")
        .compose(request -> request.putHeader("x-answer-by", library ? "library" : "forwarder").send()
            .compose(response -> response.body().map(response))));
  }
}
