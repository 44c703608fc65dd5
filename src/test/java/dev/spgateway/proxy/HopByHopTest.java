package dev.spgateway.proxy;

import static dev.spgateway.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.identity.ApiKeys;
import dev.spgateway.testing.HostileGateway;
import dev.spgateway.testing.RawResponse;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) never cross the gateway, either way: an upstream's {@code Connection:
 * keep-alive} and {@code Keep-Alive} (and what its {@code Connection} names) must not reach the caller, above all
 * over HTTP/2, which forbids them; the caller's must not reach the upstream. h2c is off by default and, when on,
 * works by prior knowledge and by upgrade.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HopByHopTest {

  static final String USERS = "/graph/v1.0/users";

  HostileGateway plain;
  HostileGateway h2c;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    plain = HostileGateway.start(Files.createDirectory(dir.resolve("plain")), config -> config,
        HopByHopTest::hopByHopAnswer);
    h2c = HostileGateway.start(Files.createDirectory(dir.resolve("h2c")),
        config -> config.replace("port: \"${SANDBOX_PORT}\" }", "port: \"${SANDBOX_PORT}\", h2c: true }"),
        HopByHopTest::hopByHopAnswer);
    // The first call fetches the service principal's token; later ones test only the protocol.
    assertThat(h2c.call("GET", USERS, null).status()).isEqualTo(200);
    assertThat(plain.call("GET", USERS, null).status()).isEqualTo(200);
  }

  /** What an HTTP/1.1 upstream may well answer with: its own connection's headers, one named by Connection. */
  static void hopByHopAnswer(io.vertx.core.http.HttpServerResponse response) {
    response.putHeader("Connection", "keep-alive, X-Upstream-Hop").putHeader("Keep-Alive", "timeout=5, max=100")
        .putHeader("X-Upstream-Hop", "1").putHeader("Proxy-Connection", "keep-alive").putHeader("X-Kept", "yes");
  }

  @AfterAll
  void stop() {
    plain.close();
    h2c.close();
  }

  @Test
  void http11StripsHopByHopHeadersBothWays() {
    RawResponse response = plain.send("GET " + USERS + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + ApiKeys.HEADER + ": "
        + plain.callerKey() + "\r\nConnection: close, X-Caller-Hop\r\nX-Caller-Hop: 1\r\nKeep-Alive: 300\r\n"
        + "TE: trailers\r\nProxy-Connection: keep-alive\r\nX-Caller-Kept: yes\r\n\r\n");

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.headers()).doesNotContainKeys("keep-alive", "x-upstream-hop", "proxy-connection");
    assertThat(response.headers().getOrDefault("connection", java.util.List.of())).as("only the gateway's own")
        .allMatch("close"::equalsIgnoreCase);
    assertThat(response.header("x-kept")).isEqualTo("yes");
    var seen = plain.upstreamSaw().get(plain.upstreamSaw().size() - 1).headers();
    assertThat(seen.contains("x-caller-hop")).isFalse();
    assertThat(seen.contains("keep-alive")).isFalse();
    assertThat(seen.contains("te")).isFalse();
    assertThat(seen.contains("proxy-connection")).isFalse();
    assertThat(seen.get("x-caller-kept")).isEqualTo("yes");
  }

  @Test
  void aConnectionHeaderCannotTakeAwayTheContentTypeABodyWasJudgedBy() {
    RawResponse response = plain.call("POST", USERS + "/42/sendMail", "{}", "Content-Type: application/json",
        "Connection: Content-Type, X-Caller-Hop", "X-Caller-Hop: 1");

    assertThat(response.status()).as(response.body()).isEqualTo(200);
    var seen = plain.upstreamSaw().get(plain.upstreamSaw().size() - 1);
    assertThat(seen.uri()).isEqualTo("/v1.0/users/42/sendMail");
    assertThat(seen.headers().get("content-type")).isEqualTo("application/json");
    assertThat(seen.headers().contains("x-caller-hop")).isFalse();
    assertThat(seen.body()).isEqualTo("{}");
  }

  @ParameterizedTest(name = "h2c upgrade: {0}")
  @ValueSource(booleans = {false, true})
  void h2cWhenTurnedOnAnswersAllowedCallsWithAWellFormedResponse(boolean upgrade) throws Exception {
    HttpClient client = h2c.vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
        .setHttp2ClearTextUpgrade(upgrade));
    try {
      // A longer wait than Await's: a new HTTP/2 connection (preface, settings, upgrade) was seen to take over 10 s
      // on this shared, overloaded machine.
      // The body is asked for on the event loop, in the same step as the response arrives: Vert.x hands a
      // response's data and end to whoever listens at that moment, so a body() asked for later from this thread
      // can miss an end that has already come, and its future never completes. Nested in send()'s own step, not
      // chained from this thread: a chained compose attached after send() completed runs a step too late.
      var answer = client.request(new RequestOptions().setMethod(HttpMethod.GET)
              .setHost("127.0.0.1").setPort(h2c.port()).setURI(USERS).putHeader(ApiKeys.HEADER, h2c.callerKey()))
          .compose(request -> request.send()
              .compose(sent -> sent.body().map(read -> java.util.Map.entry(sent, read.toString()))))
          .toCompletionStage().toCompletableFuture().get(60, java.util.concurrent.TimeUnit.SECONDS);
      HttpClientResponse response = answer.getKey();
      String body = answer.getValue();
      assertThat(response.version()).isEqualTo(HttpVersion.HTTP_2);
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(body).isEqualTo("{\"ok\":true}");
      assertThat(response.headers().contains("connection")).isFalse();
      assertThat(response.headers().contains("keep-alive")).isFalse();
      assertThat(response.headers().contains("x-upstream-hop")).isFalse();
      assertThat(response.getHeader("x-kept")).isEqualTo("yes");
    } finally {
      await(client.close());
    }
  }

  @Test
  void h2cIsOffByDefault() {
    // Prior knowledge: the HTTP/2 preface is no HTTP/1.1 request.
    RawResponse preface = plain.send("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    assertThat(preface.status()).as("Vert.x's HTTP/1.1 answer to the method PRI").isEqualTo(501);
    // Upgrade: the gateway answers in HTTP/1.1 and does not switch (raw bytes: a client's fallback is not tested).
    try (var connection = plain.connect()) {
      String received = connection.write("GET " + USERS + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + ApiKeys.HEADER + ": "
          + plain.callerKey() + "\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n")
          .awaitText(text -> RawResponse.parse(text) == null ? null : text);
      assertThat(received).startsWith("HTTP/1.1 200 ").doesNotContain("101 Switching Protocols");
      assertThat(plain.upstreamSaw().get(plain.upstreamSaw().size() - 1).headers().contains("http2-settings"))
          .as("named by Connection: not forwarded").isFalse();
    }
  }
}
