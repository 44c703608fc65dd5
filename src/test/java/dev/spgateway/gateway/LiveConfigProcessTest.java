package dev.spgateway.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.audit.AuditFiles;
import dev.spgateway.audit.AuditVerifier;
import dev.spgateway.identity.ApiKeys;
import dev.spgateway.sandbox.GraphStandIn;
import io.vertx.core.json.JsonObject;
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
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGHUP on a real process: {@code sp-gateway sandbox --no-watch} (the same reload code as {@code serve}, with
 * local stand-ins) re-reads its config on the signal, keeps running, and refuses a broken file.
 */
class LiveConfigProcessTest {

  static final String HR_KEY = ApiKeys.generate();

  @Test
  void sighupReloadsTheConfigAndABrokenFileKeepsTheOldOne(@TempDir Path dir) throws Exception {
    String base = Files.readString(Path.of("config/sandbox.yaml"));
    Path config = Files.writeString(dir.resolve("gateway.yaml"), base);
    Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "dev.spgateway.cli.Main", "sandbox", "--config", config.toString(),
        "--port", "0", "--admin-port", "0", "--no-watch").redirectErrorStream(true).start();
    try {
      BlockingQueue<String> output = new LinkedBlockingQueue<>();
      Thread reader = new Thread(() -> new BufferedReader(new InputStreamReader(process.getInputStream(),
          StandardCharsets.UTF_8)).lines().forEach(output::add), "child-output");
      reader.setDaemon(true);
      reader.start();
      Map<String, String> banner = banner(output);
      String gateway = banner.get("gateway");
      String user = "/graph/v1.0/users/" + GraphStandIn.userIds().get(0);
      assertThat(get(gateway + user, HR_KEY)).isEqualTo(401);

      String withHr = insertCaller(base, "  hr-sync:\n"
          + "    apiKey: { sha256: \"" + ApiKeys.sha256Hex(HR_KEY) + "\" }\n"
          + "    routes: [ { upstream: graph, as: finance, allow: [ \"GET /v1.0/users/{id}\" ] } ]\n");
      Files.writeString(config, withHr);
      hangUp(process);
      assertThat(awaitLine(output, "reloaded (signal)")).contains("callers +hr-sync");
      assertThat(get(gateway + user, HR_KEY)).isEqualTo(200);

      Files.writeString(config, "callers: [ broken");
      hangUp(process);
      assertThat(awaitLine(output, "refused")).contains(config.toString(), "not valid YAML");
      assertThat(process.isAlive()).isTrue();
      assertThat(get(gateway + user, HR_KEY)).as("the old config stays in force").isEqualTo(200);

      process.destroy(); // SIGTERM: stops cleanly, every record written
      assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
      Path auditFile = Path.of(banner.get("audit log"));
      List<JsonObject> reloads = Files.readAllLines(auditFile).stream().map(JsonObject::new)
          .filter(record -> "reloaded".equals(record.getString("outcome"))).toList();
      assertThat(reloads).singleElement().satisfies(record -> {
        assertThat(record.getJsonObject("config").getString("trigger")).isEqualTo("signal");
        assertThat(record.getJsonObject("config").getString("sha256"))
            .isEqualTo(sha256(withHr));
      });
      assertThat(AuditVerifier.verify(new AuditFiles(auditFile)).whole()).isTrue();
    } finally {
      process.destroyForcibly();
    }
  }

  /** The sandbox's config with one more caller, put under {@code callers:} before the audit section. */
  private static String insertCaller(String base, String caller) {
    int audit = base.indexOf("\n# `sp-gateway audit query");
    assertThat(audit).as("the sandbox config's audit comment, where callers end").isPositive();
    return base.substring(0, audit + 1) + caller + base.substring(audit + 1);
  }

  private static void hangUp(Process process) throws Exception {
    Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(process.pid())).inheritIO().start();
    assertThat(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0).as("kill -HUP").isTrue();
  }

  private static int get(String url, String key) throws Exception {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    return client.send(HttpRequest.newBuilder(URI.create(url)).header(ApiKeys.HEADER, key)
        .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  /** The next line of the child's output that contains {@code text}, within 60 s. */
  private static String awaitLine(BlockingQueue<String> output, String text) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      String line = output.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
      if (line != null && line.contains(text)) return line;
    }
    throw new AssertionError("the child printed no line with '" + text + "' within 60 s");
  }

  /** The sandbox's banner: "gateway    http://...", "audit log  /tmp/...". */
  private static Map<String, String> banner(BlockingQueue<String> output) throws InterruptedException {
    Map<String, String> values = new HashMap<>();
    StringBuilder seen = new StringBuilder();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (values.size() < 2 && System.nanoTime() < deadline) {
      String line = output.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
      if (line == null) break;
      seen.append(line).append('\n');
      String trimmed = line.trim();
      for (String label : List.of("gateway", "audit log")) {
        if (trimmed.startsWith(label + " ")) values.put(label, trimmed.substring(label.length()).trim().split("\\s+")[0]);
      }
    }
    if (values.size() < 2) throw new AssertionError("the sandbox printed no banner:\n" + seen);
    return values;
  }

  private static String sha256(String text) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
  }
}
