package dev.spgateway.bench;

import dev.spgateway.audit.AuditConfig;
import dev.spgateway.audit.AuditFiles;
import dev.spgateway.audit.AuditQuery;
import dev.spgateway.audit.AuditReader;
import dev.spgateway.audit.AuditRecord;
import dev.spgateway.audit.AuditWriter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Queries over an audit log of 1,200,000 records (about 780 MB in 100 MB files, one day of traffic at
 * ~14 requests/s), written once by the real writer into {@code target/audit-bench-1.2m} (kept, so the CLI
 * can be timed on it too; the writer leaves a request-id index next to each rotated file). The target: a
 * full export and a lookup by request id in under 1 s as a whole CLI process.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgs = "-Xmx1g")
public class AuditQueryBenchmark {

  static final int RECORDS = 1_200_000;
  static final Instant START = Instant.parse("2026-11-22T00:00:00Z");
  static final Path FILE = Path.of("target/audit-bench-1.2m/audit.jsonl");

  private AuditReader reader;
  private AuditQuery rareCaller;
  private AuditQuery oneHour;
  private AuditQuery deniedForOneCaller;
  private AuditQuery oneRequest;

  @Setup
  public void writeOnce() throws Exception {
    if (!Files.exists(FILE)) generate();
    reader = new AuditReader(new AuditFiles(FILE));
    rareCaller = AuditQuery.parse(Map.of("caller", "auditor")::get);
    oneHour = AuditQuery.parse(Map.of("from", "2026-11-22T12:00:00Z", "to", "2026-11-22T13:00:00Z")::get);
    deniedForOneCaller = AuditQuery.parse(Map.of("caller", "invoice-flow", "status", "4xx")::get);
    oneRequest = AuditQuery.parse(Map.of("requestId", "req-600000")::get);
  }

  static void generate() throws Exception {
    AuditWriter writer = AuditWriter.open(new AuditConfig(FILE.toString(), null, null, null, null, RECORDS, null, null),
        Map.of("finance", "1b4c0000-0000-4000-8000-00000000a11c"), new SimpleMeterRegistry());
    String[] callers = {"invoice-flow", "hr-sync", "reporting", "mail-bot"};
    for (int i = 0; i < RECORDS; i++) {
      boolean denied = i % 20 == 0;
      String caller = i % 1000 == 0 ? "auditor" : callers[i % callers.length];
      writer.append(new AuditRecord(START.plusMillis(i * 72L), "req-" + i, caller, "api-key",
          denied ? null : "finance", "graph", i % 3 == 0 ? "POST" : "GET", "/v1.0/users/" + (i % 5000) + "/messages",
          List.of("$select", "$top"), "$select=subject&$top=10", denied ? null : "routes[0].allow[1]",
          denied ? "denied" : "forwarded", denied ? "route-denied" : null, denied ? "no rule allows it" : null,
          "allowed", denied ? 403 : 200, 0, 1834, 41.2, denied ? null : 0.4, denied ? null : 38.1,
          denied ? null : "9f1c2d3e-0000-4000-8000-" + String.format("%012d", i), List.of()));
    }
    writer.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.MINUTES);
  }

  /** A filter that only 1 record in 1,000 matches: every line of every file is looked at. */
  @Benchmark
  public int fullScanRareCaller() {
    int[] count = {0};
    reader.scan(rareCaller, true, null, match -> ++count[0] > 0);
    return count[0];
  }

  /** A one-hour window: the files outside it are skipped by name. */
  @Benchmark
  public int oneHourWindowAll() {
    int[] count = {0};
    reader.scan(oneHour, false, null, match -> ++count[0] > 0);
    return count[0];
  }

  /** A filter matching 1 in 80 records, newest first, all of them. */
  @Benchmark
  public int deniedForOneCallerAll() {
    int[] count = {0};
    reader.scan(deniedForOneCaller, true, null, match -> ++count[0] > 0);
    return count[0];
  }

  /** {@code audit query -n 0 -o json}: every record, newest first, as bytes to an output stream. */
  @Benchmark
  public long exportAllNewestFirst() throws java.io.IOException {
    CountingStream out = new CountingStream();
    reader.export(AuditQuery.all(), true, 0, out);
    return out.bytes;
  }

  /** {@code audit query --request-id ...}: the rotated files' indexes leave the active file and one other to read. */
  @Benchmark
  public int requestIdLookup() {
    int[] count = {0};
    reader.scan(oneRequest, true, null, match -> ++count[0] > 0);
    return count[0];
  }

  /** Counts what it is given, as a pipe to another process would take it. */
  static final class CountingStream extends java.io.OutputStream {
    long bytes;

    @Override
    public void write(int b) {
      bytes++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      bytes += len;
    }
  }

  /** What the admin API does by default: the newest page of 100. */
  @Benchmark
  public int newestPage() {
    return reader.page(AuditQuery.all(), true, 100, null).records().size();
  }
}
