package dev.spgateway.listener;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.identity.ApiKeys;
import dev.spgateway.testing.HostileGateway;
import dev.spgateway.testing.RawConnection;
import dev.spgateway.testing.RawResponse;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The listener's bounds through a running gateway, on raw sockets: a head that never completes, a kept-alive
 * connection left idle, a body that stops coming, one connection too many, and requests the HTTP decoder refuses.
 * Each refusal leaves an audit record naming the peer; nothing reaches the upstream.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ListenerLimitsTest {

  HostileGateway gateway;
  HostileGateway capped;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    gateway = HostileGateway.start(Files.createDirectory(dir.resolve("short")), config -> config.replace(
        "port: \"${SANDBOX_PORT}\" }", "port: \"${SANDBOX_PORT}\", requestHeaderTimeout: 1s, idleTimeout: 1s,"
            + " bodyTimeout: 1s }"), response -> {});
    // One event loop: with several, connections opened at once are counted in whatever order their loops get to
    // them, so which one is "the third" would be chance (the cap itself is one count for every loop).
    capped = HostileGateway.start(Files.createDirectory(dir.resolve("capped")), config -> config.replace(
        "port: \"${SANDBOX_PORT}\" }", "port: \"${SANDBOX_PORT}\", maxConnections: 2, eventLoops: 1 }"),
        response -> {});
  }

  @AfterAll
  void stop() {
    gateway.close();
    capped.close();
  }

  @Test
  void aHeadThatNeverCompletesIsCutOffAndRecorded() {
    int before = gateway.upstreamSaw().size();
    try (RawConnection slow = gateway.connect()) {
      slow.write("GET /graph/v1.0/users HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
      assertThat(slow.awaitClose()).isEmpty();
    }
    JsonObject record = gateway.awaitAuditRecord(r -> "request-header-timeout".equals(r.getString("problem")));
    assertThat(record.getInteger("status")).isEqualTo(408);
    assertThat(record.getString("outcome")).isEqualTo("denied");
    assertThat(record.getString("reason")).startsWith("from 127.0.0.1:").contains("listener.requestHeaderTimeout");
    assertThat(gateway.upstreamSaw()).hasSize(before);
  }

  @Test
  void anIdleKeptAliveConnectionIsClosed() {
    try (RawConnection kept = gateway.connect()) {
      RawResponse response = kept.write(keptAlive("/graph/v1.0/users")).awaitResponse();
      assertThat(response.status()).isEqualTo(200);
      assertThat(kept.awaitClose()).as("nothing more is sent on it").isEmpty();
    }
  }

  @Test
  void aRequestUnderWayLongerThanTheIdleLimitIsAnsweredAndItsConnectionServesTheNext() {
    try (RawConnection busy = gateway.connect()) {
      RawResponse slow = busy.write(keptAlive("/graph/v1.0/users/" + HostileGateway.SLOW_UPSTREAM)).awaitResponse();
      assertThat(slow.status()).as("answered after %d ms, past idleTimeout 1s", HostileGateway.SLOW_UPSTREAM_MILLIS)
          .isEqualTo(200);
      // The idle limit counts from the end of the last response, not from the head it was armed at.
      assertThat(busy.write(keptAlive("/graph/v1.0/users")).awaitResponse().status()).isEqualTo(200);
      assertThat(busy.awaitClose()).as("then, idle, it is closed").isEmpty();
    }
  }

  private String keptAlive(String target) {
    return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + ApiKeys.HEADER + ": " + gateway.callerKey() + "\r\n\r\n";
  }

  @Test
  void aBodyThatStopsComingIsAnswered408() {
    int before = gateway.upstreamSaw().size();
    try (RawConnection stalled = gateway.connect()) {
      String received = stalled.write(gateway.head("POST", "/graph/v1.0/users/abc/sendMail",
          "Content-Type: application/json", "Content-Length: 100") + "\r\n{\"message\":").awaitClose();
      RawResponse response = RawResponse.parse(received);
      gateway.assertRefused(response, before, 408, "body-timeout", "listener.bodyTimeout");
    }
  }

  @Test
  void oneConnectionTooManyIsRefusedClearly() {
    int before = capped.upstreamSaw().size();
    try (RawConnection first = capped.connect(); RawConnection second = capped.connect();
        RawConnection third = capped.connect()) {
      RawResponse response = third.write(capped.head("GET", "/graph/v1.0/users") + "\r\n").awaitResponse();
      assertThat(response.status()).isEqualTo(503);
      assertThat(response.header("retry-after")).isEqualTo("1");
      JsonObject problem = response.problem();
      assertThat(problem.getString("type")).isEqualTo("urn:sp-gateway:problem:too-many-connections");
      assertThat(problem.getString("detail")).contains("listener.maxConnections");
      JsonObject record = capped.awaitAuditRecord(r -> problem.getString("requestId").equals(r.getString("requestId")));
      assertThat(record.getInteger("status")).isEqualTo(503);
      assertThat(record.getString("path")).isEqualTo("/graph/v1.0/users");
      assertThat(record.getString("reason")).startsWith("from 127.0.0.1:");
      // The first two are still served.
      assertThat(first.write(capped.head("GET", "/graph/v1.0/users") + "\r\n").awaitResponse().status()).isEqualTo(200);
    }
    assertThat(capped.upstreamSaw()).hasSize(before + 1);
  }

  @Test
  void requestsTheDecoderRefusesAreAnsweredAndRecorded() {
    int before = gateway.upstreamSaw().size();
    RawResponse tooLarge = gateway.send(gateway.head("GET", "/graph/v1.0/users", "X-Big: " + "a".repeat(100_000))
        + "\r\n");
    assertRecorded(tooLarge, 431, "headers-too-large");
    RawResponse tooLong = gateway.send(gateway.head("GET", "/graph/v1.0/users/" + "a".repeat(5_000)) + "\r\n");
    JsonObject record = assertRecorded(tooLong, 414, "target-too-long");
    assertThat(record.getString("path")).hasSizeLessThan(300);
    assertRecorded(gateway.send("GARBAGE\r\n\r\n"), 400, "malformed-request");
    assertThat(gateway.upstreamSaw()).hasSize(before);
  }

  private JsonObject assertRecorded(RawResponse response, int status, String type) {
    assertThat(response.status()).isEqualTo(status);
    JsonObject problem = response.problem();
    assertThat(problem.getString("type")).isEqualTo("urn:sp-gateway:problem:" + type);
    JsonObject record = gateway.awaitAuditRecord(r -> problem.getString("requestId").equals(r.getString("requestId")));
    assertThat(record.getInteger("status")).isEqualTo(status);
    assertThat(record.getString("problem")).isEqualTo(type);
    assertThat(record.getString("reason")).startsWith("from 127.0.0.1:");
    return record;
  }
}
