package dev.spgateway.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.identity.ApiKeys;
import dev.spgateway.testing.HostileGateway;
import dev.spgateway.testing.RawConnection;
import dev.spgateway.testing.RawResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code Expect: 100-continue}: an allowed request is told {@code 100 Continue} once judged, and only then sends
 * its body; a refused one gets its 4xx without a 100 and without its body being read; {@code Expect} never
 * reaches the upstream.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExpectContinueTest {

  static final String GRAPH_BATCH = "{\"requests\":[{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/users\"}]}";

  HostileGateway gateway;

  @BeforeAll
  void start(@TempDir Path dir) {
    gateway = HostileGateway.start(dir);
  }

  @AfterAll
  void stop() {
    gateway.close();
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(delimiter = '|', textBlock = """
      POST | /graph/v1.0/users/abc/sendMail | application/json
      POST | /graph/v1.0/$batch             | application/json
      """)
  void anAllowedRequestIsToldToContinueOnceJudged(String method, String target, String contentType) {
    String body = target.endsWith("$batch") ? GRAPH_BATCH : "{\"message\":{}}";
    int before = gateway.upstreamSaw().size();
    try (RawConnection connection = gateway.connect()) {
      connection.write(gateway.head(method, target, "Content-Type: " + contentType, "Expect: 100-continue",
          "Content-Length: " + body.length()) + "\r\n");
      String interim = connection.awaitText(text -> text.contains("\r\n\r\n") ? text : null);
      assertThat(interim).startsWith("HTTP/1.1 100 Continue\r\n");
      assertThat(gateway.upstreamSaw()).as("nothing is forwarded before the body").hasSize(before);
      RawResponse response = connection.write(body).awaitResponse();
      assertThat(response.status()).as(response.body()).isEqualTo(200);
    }
    HostileGateway.Seen seen = gateway.upstreamSaw().get(before);
    assertThat(seen.body()).isEqualTo(body);
    assertThat(seen.headers().contains("expect")).isFalse();
  }

  @ParameterizedTest(name = "{0} {1} -> {3}")
  @CsvSource(delimiter = '|', textBlock = """
      POST | /graph/v1.0/groups             | application/json            | 403 | route-denied
      POST | /graph/v1.0/users/abc/sendMail | text/plain                  | 415 | unsupported-media-type
      POST | /graph/v1.0/$batch             | text/plain                  | 415 | unsupported-media-type
      POST | /graph/v1.0/users/abc/sendMail | application/json; charset=; | 415 | unsupported-media-type
      """)
  void aRefusedRequestGetsItsAnswerWithoutAContinue(String method, String target, String contentType, int status,
      String type) {
    int before = gateway.upstreamSaw().size();
    try (RawConnection connection = gateway.connect()) {
      // The body is never sent: the caller waits for a 100 that must not come.
      String received = connection.write(gateway.head(method, target, "Content-Type: " + contentType,
          "Expect: 100-continue", "Content-Length: 20") + "\r\n")
          .awaitText(text -> RawResponse.parse(text) == null ? null : text);
      assertThat(received).as("no 100 Continue before it").doesNotContain(" 100 Continue");
      RawResponse response = RawResponse.parse(received);
      assertThat(response.header("connection")).isEqualTo("close");
      gateway.assertRefused(response, before, status, type, "");
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      no key      | X-Nothing: 1
      unknown key | X-Api-Key: not-a-key
      """)
  void anUnknownCallerGetsNoContinue(String name, String keyLine) {
    try (RawConnection connection = gateway.connect()) {
      RawResponse response = connection.write("POST /graph/v1.0/users/abc/sendMail HTTP/1.1\r\nHost: x\r\n" + keyLine
          + "\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n").awaitResponse();
      assertThat(response.status()).isEqualTo(401);
      assertThat(response.header(ApiKeys.HEADER)).isNull();
      assertThat(response.header("connection")).isEqualTo("close");
    }
  }
}
