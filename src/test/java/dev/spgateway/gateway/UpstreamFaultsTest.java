package dev.spgateway.gateway;

import static dev.spgateway.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.testing.HostileGateway;
import dev.spgateway.testing.RawConnection;
import dev.spgateway.testing.RawResponse;
import dev.spgateway.testing.TeeStream;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * An upstream that fails below HTTP: it hangs up before answering, answers garbage, or stops halfway through a body.
 * The caller gets a 502 problem whenever nothing of the answer was sent yet, a cut connection (never a short body
 * that looks whole) once it was, and each exchange leaves one audit record saying it failed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UpstreamFaultsTest {

  /** A page longer than the gateway reads whole (64 KB), so it streams. */
  static final int LONG_PAGE = 200_000;

  final Vertx upstreamVertx = Vertx.vertx();
  HostileGateway gateway;

  @BeforeAll
  void start(@TempDir Path dir) {
    NetServer upstream = await(upstreamVertx.createNetServer().connectHandler(this::misbehave)
        .listen(0, "127.0.0.1"));
    gateway = HostileGateway.startBefore(dir, "http://127.0.0.1:" + upstream.actualPort());
  }

  @AfterAll
  void stop() {
    gateway.close();
    await(upstreamVertx.close());
  }

  /** Requests received per path. */
  final Map<String, AtomicInteger> received = new ConcurrentHashMap<>();

  /**
   * What the upstream does is named by the request's last path segment; a path with {@code /once-} in it is hung up
   * on the first time only, and answered after.
   */
  private void misbehave(NetSocket socket) {
    StringBuilder head = new StringBuilder();
    socket.handler(bytes -> {
      head.append(bytes.toString(StandardCharsets.ISO_8859_1));
      if (head.indexOf("\r\n\r\n") < 0) return;
      String path = head.substring(head.indexOf(" ") + 1, head.indexOf(" HTTP/"));
      head.setLength(0);
      int seen = received.computeIfAbsent(path, any -> new AtomicInteger()).incrementAndGet();
      if (path.contains("/once-")) {
        if (seen == 1) {
          socket.close();
        } else {
          socket.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}");
        }
        return;
      }
      switch (path.substring(path.lastIndexOf('/') + 1)) {
        case "hang-up" -> socket.close();
        case "garbage" -> socket.write("NOT HTTP AT ALL\r\n\r\n").onComplete(written -> socket.close());
        case "short-page" -> socket.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
            + "{\"value\":[").onComplete(written -> socket.close());
        case "cut-long-page" -> socket.write(Buffer.buffer("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + "Content-Length: " + LONG_PAGE + "\r\n\r\n{\"value\":[\"" + "x".repeat(70_000)))
            .onComplete(written -> socket.close());
        default -> socket.close();
      }
    });
  }

  @Test
  void anUpstreamThatHangsUpBeforeAnsweringIsA502() {
    assertFailedBeforeAnswering("/graph/v1.0/users/hang-up", "upstream-unreachable", "Connection was closed");
  }

  @Test
  void anUpstreamThatAnswersGarbageIsA502() {
    assertFailedBeforeAnswering("/graph/v1.0/users/garbage", "upstream-unreachable", "is unreachable");
  }

  @Test
  void aConnectionClosedBeforeAnyAnswerIsTriedOnceMoreForAGetButNeverForAPost() {
    // As when the upstream closes an idle pooled connection just as the gateway takes it.
    RawResponse get = gateway.call("GET", "/graph/v1.0/users/once-get", null);
    assertThat(get.status()).as(get.body()).isEqualTo(200);
    assertThat(get.body()).isEqualTo("{\"ok\":true}");
    assertThat(received.get("/v1.0/users/once-get")).hasValue(2);

    // The upstream may have acted on a POST before its connection closed: sending it again could do it twice.
    RawResponse post = gateway.call("POST", "/graph/v1.0/users/once-post/sendMail", "{}",
        "Content-Type: application/json");
    assertThat(post.status()).as(post.body()).isEqualTo(502);
    assertThat(post.problem().getString("type")).isEqualTo("urn:sp-gateway:problem:upstream-unreachable");
    assertThat(received.get("/v1.0/users/once-post/sendMail")).hasValue(1);
  }

  @Test
  void aShortPageIsA502NotATruncatedPage() {
    // A page the gateway reads whole: nothing was sent when the upstream stopped, so the caller is told so.
    assertFailedBeforeAnswering("/graph/v1.0/users/short-page", "connection-closed", "broke off its answer");
  }

  @Test
  void aFailingUpstreamIsLoggedInOneLineNamingItAndItsServicePrincipal() {
    PrintStream stderr = System.err;
    ByteArrayOutputStream logs = new ByteArrayOutputStream();
    System.setErr(new PrintStream(new TeeStream(logs, stderr), true, StandardCharsets.UTF_8)); // slf4j-simple's
    try {
      assertFailedBeforeAnswering("/crm/api/data/v9.2/WhoAmI", "upstream-unreachable", "upstream 'crm'");
    } finally {
      System.setErr(stderr);
    }
    List<String> lines = logs.toString(StandardCharsets.UTF_8).lines().filter(line -> line.contains("upstream 'crm'"))
        .toList();
    assertThat(lines).singleElement().satisfies(line -> assertThat(line)
        .contains("WARN", "is unreachable", "service principal", "502 upstream-unreachable", "the next request tries"));
    assertThat(logs.toString(StandardCharsets.UTF_8)).doesNotContain("\tat ");
  }

  @Test
  void aLongPageCutOffHalfwayCutsTheCallersConnection() {
    try (RawConnection connection = gateway.connect()) {
      connection.write(gateway.head("GET", "/graph/v1.0/users/cut-long-page") + "\r\n");
      String received = connection.awaitClose();
      assertThat(received).startsWith("HTTP/1.1 200 OK");
      String requestId = received.lines().filter(line -> line.toLowerCase().startsWith("client-request-id:"))
          .findFirst().orElseThrow().substring("client-request-id:".length()).trim();
      int headEnd = received.indexOf("\r\n\r\n") + 4;
      assertThat(received.length() - headEnd).as("the body the caller got is shorter than declared")
          .isLessThan(LONG_PAGE);
      JsonObject record = gateway.awaitAuditRecord(r -> requestId.equals(r.getString("requestId")));
      assertThat(record.getString("outcome")).isEqualTo("failed");
      assertThat(record.getString("reason")).contains("upstream 'graph' broke off its answer");
    }
  }

  private void assertFailedBeforeAnswering(String target, String type, String reason) {
    RawResponse response = gateway.call("GET", target, null);
    assertThat(response.status()).as(response.body()).isEqualTo(502);
    JsonObject problem = response.problem();
    assertThat(problem.getString("type")).isEqualTo("urn:sp-gateway:problem:" + type);
    JsonObject record = gateway.auditRecord(problem.getString("requestId"));
    assertThat(record.getString("outcome")).isEqualTo("failed");
    assertThat(record.getInteger("status")).isEqualTo(502);
    assertThat(record.getString("reason")).contains(reason);
  }
}
