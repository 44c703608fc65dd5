package dev.spgateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.audit.AuditConfig;
import dev.spgateway.audit.AuditRecord;
import dev.spgateway.audit.AuditWriter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** `sp-gateway audit query|tail|verify` on a real log: output, order, exit codes. */
class AuditCommandTest {

  @TempDir Path dir;
  Path file;
  final StringWriter out = new StringWriter();
  final StringWriter err = new StringWriter();

  @BeforeEach
  void writeALog() throws Exception {
    file = dir.resolve("audit.jsonl");
    AuditWriter writer = AuditWriter.open(new AuditConfig(file.toString(), null, null, null, null, null, null, null),
        Map.of("finance", "1b4c0000-0000-4000-8000-00000000a11c"), new SimpleMeterRegistry());
    for (int i = 1; i <= 20; i++) {
      boolean denied = i % 4 == 0;
      writer.append(new AuditRecord(Instant.parse("2026-11-22T10:00:00Z").plusSeconds(i), "req-" + i,
          i % 2 == 0 ? "invoice-flow" : "hr-sync", "api-key", denied ? null : "finance", "graph", "GET",
          "/v1.0/users/" + i, List.of(), null, denied ? null : "routes[0].allow[0]", denied ? "denied" : "forwarded",
          denied ? "route-denied" : null, null, null, denied ? 403 : 200, 0, 10, 1.5, null, null, null, List.of()));
    }
    writer.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void queryPrintsAnAlignedTableNewestFirst() {
    assertThat(run("audit", "query", "--file", file.toString(), "--caller", "invoice-flow", "--status", "4xx")).isZero();
    List<String> lines = out.toString().lines().toList();
    assertThat(lines).hasSize(6); // header + req-20, 16, 12, 8, 4
    assertThat(lines.get(0)).startsWith("TIME").contains("STATUS", "CALLER", "PATH", "REQUEST ID");
    assertThat(lines.get(1)).contains("403", "denied", "invoice-flow", "/v1.0/users/20", "route-denied").endsWith("req-20");
    assertThat(lines.get(5)).endsWith("req-4");
    int column = lines.get(0).indexOf("PATH");
    assertThat(lines.subList(1, 6)).allSatisfy(line -> assertThat(line.substring(column)).startsWith("/v1.0/users/"));
  }

  @Test
  void queryPrintsJsonLinesOldestFirstWithinATimeRange() {
    assertThat(run("audit", "query", "--file", file.toString(), "-o", "json", "--oldest-first",
        "--from", "2026-11-22T10:00:05Z", "--to", "2026-11-22T10:00:08Z")).isZero();
    assertThat(out.toString().lines().map(line -> new io.vertx.core.json.JsonObject(line).getString("requestId")))
        .containsExactly("req-5", "req-6", "req-7");
  }

  @Test
  void tailShowsTheLastRecordsInOrder() {
    assertThat(run("audit", "tail", "--file", file.toString(), "-n", "3", "-o", "json")).isZero();
    assertThat(out.toString().lines().map(line -> new io.vertx.core.json.JsonObject(line).getString("requestId")))
        .containsExactly("req-18", "req-19", "req-20");
  }

  @Test
  void verifyExitsZeroOnlyWhenTheChainIsWhole() throws Exception {
    assertThat(run("audit", "verify", "--file", file.toString())).isZero();
    assertThat(out.toString()).contains("OK: 20 records in 1 files, seq 1 to 20");

    List<String> lines = new ArrayList<>(Files.readAllLines(file));
    lines.set(6, lines.get(6).replace("\"GET\"", "\"DELETE\""));
    Files.write(file, lines);
    assertThat(run("audit", "verify", "--file", file.toString())).isEqualTo(AuditCommand.BROKEN).isEqualTo(2);
    assertThat(err.toString()).contains("BROKEN: " + file.toAbsolutePath() + ":7: changed: the record's content does "
        + "not match its hash");
  }

  @Test
  void aBadFilterIsAUsageErrorSayingWhatToWrite() {
    assertThat(run("audit", "query", "--file", file.toString(), "--status", "40")).isEqualTo(Main.USAGE);
    assertThat(err.toString()).contains("status '40' is neither a status (404) nor a class (4xx)");
    assertThat(run("audit", "query", "--file", file.toString(), "--since", "an hour")).isEqualTo(Main.USAGE);
    assertThat(err.toString()).contains("--since 'an hour' is not a duration; write 30s, 15m, 1h or 7d");
    assertThat(run("audit", "query", "--file", file.toString(), "--colour", "blue")).isEqualTo(Main.USAGE);
    assertThat(err.toString()).contains("Unknown options: '--colour'");
  }

  /** Records written a moment ago are found by "the last hour" and "from 15 minutes ago"; older ones are not. */
  @Test
  void relativeTimesCountBackFromNow() throws Exception {
    Path recent = dir.resolve("recent/audit.jsonl");
    Files.createDirectories(recent.getParent());
    AuditWriter writer = AuditWriter.open(new AuditConfig(recent.toString(), null, null, null, null, null, null, null),
        Map.of(), new SimpleMeterRegistry());
    Instant now = Instant.now();
    for (int minutesAgo : new int[] {180, 50, 10}) {
      writer.append(new AuditRecord(now.minusSeconds(60L * minutesAgo), "ago-" + minutesAgo, "hr-sync", "api-key",
          null, "graph", "GET", "/v1.0/users", List.of(), null, null, "denied", "route-denied", null, null, 403, 0, 10,
          1.5, null, null, null, List.of()));
    }
    writer.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

    assertThat(run("audit", "query", "--file", recent.toString(), "--since", "1h", "-o", "json")).isZero();
    assertThat(requestIds()).containsExactly("ago-10", "ago-50");
    assertThat(run("audit", "query", "--file", recent.toString(), "--from", "-15m", "-o", "json")).isZero();
    assertThat(requestIds()).containsExactly("ago-10");
    assertThat(run("audit", "query", "--file", recent.toString(), "--from", "-4h", "--to", "-1h", "-o", "json")).isZero();
    assertThat(requestIds()).containsExactly("ago-180");
  }

  /** Reading the log needs its file name only: an unset variable meant for the vault secret does not stop it. */
  @Test
  void theConfigIsReadForItsAuditSectionOnly() throws Exception {
    Path config = Files.writeString(dir.resolve("gateway.yaml"), """
        keyVault:
          url: https://contoso-flows.vault.azure.net
          credential: { tenant: t, clientId: c, secret: "${SP_GATEWAY_TEST_NEVER_SET}" }
        audit: { file: "%s" }
        """.formatted(file));
    assertThat(run("audit", "query", "--config", config.toString(), "--request-id", "req-7", "-o", "json")).isZero();
    assertThat(requestIds()).containsExactly("req-7");
    assertThat(run("audit", "verify", "--config", config.toString())).isZero();

    Path broken = Files.writeString(dir.resolve("broken.yaml"), "audit: { file: [ nope ] }\n");
    assertThat(run("audit", "query", "--config", broken.toString())).isEqualTo(Main.BAD_CONFIG);
    assertThat(err.toString()).contains("broken.yaml: audit.file: expected a string");
  }

  @Test
  void helpShowsExamplesAndDescribesEveryOption() {
    for (String command : List.of("query", "tail", "verify")) {
      assertThat(run("audit", command, "--help")).isZero();
      assertThat(out.toString()).contains("Examples:", "sp-gateway audit " + command + " ");
    }
    assertThat(run("audit", "query", "--help")).isZero();
    assertThat(out.toString()).contains("--since=DURATION", "--from=TIME", "-15m");
  }

  private List<String> requestIds() {
    return out.toString().lines().map(line -> new io.vertx.core.json.JsonObject(line).getString("requestId")).toList();
  }

  private int run(String... args) {
    out.getBuffer().setLength(0);
    err.getBuffer().setLength(0);
    CommandLine command = Main.commandLine();
    command.setOut(new PrintWriter(out, true));
    command.setErr(new PrintWriter(err, true));
    return command.execute(args);
  }
}
