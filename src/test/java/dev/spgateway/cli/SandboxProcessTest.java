package dev.spgateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.spgateway.identity.ApiKeys;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `sp-gateway sandbox` as a newcomer and a process supervisor see it: a real child process, stopped by SIGTERM. */
class SandboxProcessTest {

  private static final Path SLOW_CONFIG = Path.of("src/test/resources/cli/sandbox-slow-upstream.yaml").toAbsolutePath();

  @Test
  void runsFromAnyDirectoryWithTheConfigInsideTheJarAndRemovesItsTemporaryFolderOnExit(@TempDir Path elsewhere)
      throws Exception {
    try (SandboxProcess sandbox = SandboxProcess.start(elsewhere, Map.of("SPGW_LOG_FORMAT", "text"),
        "--port", "0", "--admin-port", "0")) {
      Path workDir = sandbox.auditFile().getParent();
      assertThat(workDir.getFileName().toString()).startsWith("sp-gateway-sandbox");
      assertThat(workDir).isDirectory();

      HttpResponse<String> users = send(sandbox.gateway() + "/graph/v1.0/users", sandbox.callerKey());
      assertThat(users.statusCode()).isEqualTo(200);

      assertThat(sandbox.terminate()).as("exit code after SIGTERM").isZero();
      assertThat(workDir).as("the sandbox's temporary folder").doesNotExist();
      assertThat(sandbox.logLines()).filteredOn(line -> line.contains("sp-gateway stopped")).hasSize(1);
      assertThat(sandbox.logLines()).noneMatch(line -> line.startsWith("\tat ") || line.contains("Exception"));
      try (var left = Files.list(elsewhere)) {
        assertThat(left).as("files left in the working directory").isEmpty();
      }
    }
  }

  @Test
  void aMissingConfigFileIsOneLineNotAStackTrace(@TempDir Path elsewhere) throws Exception {
    Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Main.class.getName(), "sandbox", "--config", "nowhere.yaml",
        "--port", "0", "--admin-port", "0").directory(elsewhere.toFile()).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).isEqualTo(Main.START_FAILED);
    assertThat(output).contains("cannot read the sandbox config", "nowhere.yaml", "leave out --config")
        .doesNotContain("\tat ");
  }

  /**
   * SIGTERM while a request is under way: the gateway stops being ready, answers new requests 503 shutting-down,
   * lets the request finish, logs one line saying what it drained, and exits 0. Logs are JSON lines throughout.
   */
  @Test
  void sigtermDrainsTheRequestUnderWayRefusesNewOnesWith503AndExitsZero(@TempDir Path dir) throws Exception {
    CountDownLatch arrived = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    HttpServer slow = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    slow.setExecutor(Executors.newCachedThreadPool());
    slow.createContext("/", exchange -> {
      arrived.countDown();
      try {
        release.await(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      byte[] body = "{\"id\":\"42\"}".getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("content-type", "application/json");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    slow.start();
    Map<String, String> env = Map.of("SPGW_LOG_FORMAT", "json",
        "SLOW_UPSTREAM_URL", "http://127.0.0.1:" + slow.getAddress().getPort());
    try (SandboxProcess sandbox = SandboxProcess.start(dir, env, "--config", SLOW_CONFIG.toString(),
        "--port", "0", "--admin-port", "0", "--work-dir", dir.resolve("work").toString())) {
      CompletableFuture<HttpResponse<String>> underWay = CompletableFuture.supplyAsync(
          () -> sendUnchecked(sandbox.gateway() + "/slow/v1.0/users/42", sandbox.callerKey()));
      assertThat(arrived.await(60, TimeUnit.SECONDS)).as("the request reached the upstream").isTrue();

      sandbox.sigterm();
      awaitNotReady(sandbox.admin());
      HttpResponse<String> meanwhile = send(sandbox.gateway() + "/slow/v1.0/users/43", sandbox.callerKey());
      assertThat(meanwhile.statusCode()).isEqualTo(503);
      assertThat(new JsonObject(meanwhile.body()).getString("type")).isEqualTo("urn:sp-gateway:problem:shutting-down");
      assertThat(meanwhile.headers().firstValue("retry-after")).hasValue("1");
      assertThat(meanwhile.headers().firstValue("connection")).hasValue("close");

      release.countDown();
      assertThat(underWay.get(60, TimeUnit.SECONDS).statusCode()).as("the request under way").isEqualTo(200);
      assertThat(sandbox.terminate()).as("exit code after SIGTERM").isZero();

      List<String> lines = sandbox.logLines();
      assertThat(lines).isNotEmpty().allSatisfy(line -> {
        JsonObject event = new JsonObject(line); // every line is one JSON object
        assertThat(event.getLong("timestamp")).isPositive();
        assertThat(event.getString("level")).isIn("TRACE", "DEBUG", "INFO", "WARN", "ERROR");
        assertThat(event.getString("loggerName")).isNotBlank();
        assertThat(event.getString("formattedMessage")).isNotBlank();
      });
      List<String> stopped = lines.stream().map(line -> new JsonObject(line).getString("formattedMessage"))
          .filter(message -> message.startsWith("sp-gateway stopped")).toList();
      assertThat(stopped).singleElement().asString()
          .contains("drained 1 request(s) under way", "refused 1 arriving meanwhile");
      assertThat(lines).noneMatch(line -> line.contains("Failed to register"));
      assertThat(Files.readString(dir.resolve("work/audit.jsonl")).lines()).hasSize(2);
    } finally {
      release.countDown();
      slow.stop(0);
    }
  }

  /** /health/ready turns 503 once the stop has begun; a load balancer stops sending then. */
  private static void awaitNotReady(String admin) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      try {
        if (send(admin + "/health/ready", null).statusCode() == 503) return;
      } catch (IOException e) {
        throw new AssertionError("the admin port closed before the gateway reported not ready", e);
      }
      Thread.sleep(20);
    }
    throw new AssertionError("/health/ready did not turn 503 within 30 s of SIGTERM");
  }

  private static HttpResponse<String> send(String url, String key) throws IOException, InterruptedException {
    // A fresh client, hence a fresh connection: a connection arriving while the gateway stops.
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10)).build();
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60));
    if (key != null) request.header(ApiKeys.HEADER, key);
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> sendUnchecked(String url, String key) {
    try {
      return send(url, key);
    } catch (IOException | InterruptedException e) {
      throw new AssertionError(e);
    }
  }
}
