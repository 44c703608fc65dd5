package dev.spgateway.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.identity.ApiKeys;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway as a real process under load, stopped by a signal: SIGTERM must leave exactly one record
 * per answered request; in strict mode, even kill -9 must leave a record for every answered request.
 */
class AuditProcessTest {

  private static final int WORKERS = 12;
  private static final int ANSWERED_BEFORE_STOP = 300;
  private static final Map<String, String> DESCRIBED = new ConcurrentHashMap<>();

  @Test
  void sigtermUnderLoadLeavesExactlyOneRecordPerAnsweredRequest(@TempDir Path workDir) throws Exception {
    Run run = loadThenStop(Path.of("config/sandbox.yaml"), false, workDir);
    Map<String, Integer> recorded = recorded(run.auditFile());
    assertThat(run.answered()).hasSizeGreaterThanOrEqualTo(ANSWERED_BEFORE_STOP);
    assertThat(recorded.keySet()).as("records of requests no client saw answered")
        .allSatisfy(id -> assertThat(run.answered()).as(DESCRIBED.get(id)).containsKey(id));
    run.answered().forEach((id, status) -> assertThat(recorded).containsEntry(id, status));
    assertThat(AuditVerifier.verify(new AuditFiles(run.auditFile())).whole()).isTrue();
  }

  @Test
  void strictKillMinusNineUnderLoadLosesNoRecordOfAnAnsweredRequest(@TempDir Path workDir) throws Exception {
    Run run = loadThenStop(Path.of("src/test/resources/audit/sandbox-audit-strict.yaml"), true, workDir);
    Map<String, Integer> recorded = recorded(run.auditFile());
    assertThat(run.answered()).hasSizeGreaterThanOrEqualTo(ANSWERED_BEFORE_STOP);
    run.answered().forEach((id, status) -> assertThat(recorded).containsEntry(id, status));
  }

  private record Run(Map<String, Integer> answered, Path auditFile) {}

  /** Starts `sp-gateway sandbox`, loads it, and stops it with SIGTERM or SIGKILL while requests are under way. */
  /** --work-dir: the sandbox removes a temporary folder of its own on exit, and this test reads the log after. */
  private static Run loadThenStop(Path config, boolean kill, Path workDir) throws Exception {
    Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "dev.spgateway.cli.Main", "sandbox", "--config", config.toString(),
        "--port", "0", "--admin-port", "0", "--work-dir", workDir.toString()).redirectErrorStream(true).start();
    try {
      Map<String, String> printed = readBanner(process);
      String gateway = printed.get("gateway");
      String key = printed.get("Caller key:");
      Path auditFile = Path.of(printed.get("audit log"));

      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      Map<String, Integer> answered = new ConcurrentHashMap<>();
      CountDownLatch enough = new CountDownLatch(ANSWERED_BEFORE_STOP);
      AtomicBoolean stopped = new AtomicBoolean();
      List<CompletableFuture<Void>> workers = new ArrayList<>();
      for (int w = 0; w < WORKERS; w++) {
        workers.add(CompletableFuture.runAsync(() -> {
          while (true) {
            String path = (answered.size() % 2 == 0) ? "/crm/api/data/v9.2/WhoAmI" : "/graph/v1.0/users";
            HttpRequest request = HttpRequest.newBuilder(URI.create(gateway + path)).header(ApiKeys.HEADER, key)
                .timeout(Duration.ofSeconds(20)).build();
            try {
              HttpResponse<byte[]> response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
              answered.put(response.headers().firstValue("client-request-id").orElseThrow(), response.statusCode());
              enough.countDown();
            } catch (IOException e) {
              if (stopped.get()) return; // the gateway is gone: this one was not answered
            } catch (InterruptedException e) {
              return;
            }
          }
        }));
      }
      assertThat(enough.await(60, TimeUnit.SECONDS)).as("load answered").isTrue();
      stopped.set(true);
      if (kill) process.destroyForcibly();
      else process.destroy();
      assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("stopped").isTrue();
      CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      return new Run(Map.copyOf(answered), auditFile);
    } finally {
      process.destroyForcibly();
    }
  }

  /** The sandbox's banner: "gateway    http://...", "audit log  /tmp/...", "Caller key: spg_...". */
  private static Map<String, String> readBanner(Process process) throws IOException {
    Map<String, String> values = new HashMap<>();
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    StringBuilder seen = new StringBuilder();
    for (String line = out.readLine(); line != null; line = out.readLine()) {
      seen.append(line).append('\n');
      String trimmed = line.trim();
      for (String label : List.of("gateway", "audit log", "Caller key:")) {
        if (trimmed.startsWith(label + " ")) values.put(label, trimmed.substring(label.length()).trim().split("\\s+")[0]);
      }
      if (values.size() == 3) {
        // Keep draining the output so the child never blocks on a full pipe.
        Thread drain = new Thread(() -> out.lines().forEach(ignored -> { }), "child-output");
        drain.setDaemon(true);
        drain.start();
        return values;
      }
    }
    throw new AssertionError("the sandbox stopped before printing its banner:\n" + seen);
  }

  /** Request id → status, for every record in every file of the log. */
  private static Map<String, Integer> recorded(Path auditFile) throws IOException {
    Map<String, Integer> records = new HashMap<>();
    for (AuditFiles.LogFile file : new AuditFiles(auditFile).list()) {
      String text = Files.readString(file.path());
      assertThat(AuditGatewayTest.SECRET_SHAPED.matcher(text).find()).as("a secret-shaped string in " + file).isFalse();
      // kill -9 may cut the record being written: no client saw its response, and the next start cuts it off.
      List<String> lines = text.substring(0, text.lastIndexOf('\n') + 1).lines().toList();
      AuditGatewayTest.assertMatchesTheSchema(lines);
      for (String line : lines) {
        var record = new io.vertx.core.json.JsonObject(line);
        String id = record.getString("requestId") + " (" + record.getInteger("status") + " " + record.getString("outcome")
            + " " + record.getString("reason") + ")";
        assertThat(records.put(record.getString("requestId"), record.getInteger("status"))).as(id).isNull();
        DESCRIBED.put(record.getString("requestId"), id);
      }
    }
    return records;
  }
}
