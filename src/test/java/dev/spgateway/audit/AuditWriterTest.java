package dev.spgateway.audit;

import dev.spgateway.testing.MutableClock;
import static dev.spgateway.audit.AuditFixture.config;
import static dev.spgateway.audit.AuditFixture.record;
import static dev.spgateway.audit.AuditFixture.writer;
import static dev.spgateway.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The writer against real files: chain, restart, rotation, retention, a full disk, strict durability. */
class AuditWriterTest {

  @TempDir Path dir;

  @Test
  void writesOneChainedLinePerRecordWithNamesButNoSecretLookingValues() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    AuditWriter writer = writer(config(file));
    for (int i = 1; i <= 100; i++) writer.append(record(i));
    await(writer.close());

    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(100);
    JsonObject first = new JsonObject(lines.get(0));
    assertThat(first.getInteger("v")).isEqualTo(1);
    assertThat(first.getLong("seq")).isEqualTo(1);
    assertThat(first.getString("prev")).isEqualTo(AuditLines.GENESIS);
    assertThat(first.getString("time")).isEqualTo("2026-11-22T00:00:00.010000Z");
    assertThat(first.getString("requestId")).isEqualTo("req-1");
    assertThat(first.getJsonArray("queryOptions").getList()).containsExactly("$top", "$select");
    // Values only for the options the operator listed, and never for a secret-looking one, even if listed.
    assertThat(first.getJsonObject("queryValues").getMap()).containsOnly(
        java.util.Map.entry("$top", "5"), java.util.Map.entry("$select", "displayName"));
    assertThat(Files.readString(file)).doesNotContain("s3cr3t-t0ken-value").doesNotContain("access_token");
    JsonObject forwarded = new JsonObject(lines.get(0));
    assertThat(forwarded.getString("clientId")).isEqualTo(AuditFixture.CLIENT_ID);
    assertThat(new JsonObject(lines.get(1)).getString("prev")).isEqualTo(first.getString("hash"));
    assertThat(AuditVerifier.verify(new AuditFiles(file)).whole()).isTrue();
  }

  @Test
  void aRestartContinuesTheChainAndCutsARecordLeftHalfWritten() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    AuditWriter writer = writer(config(file));
    for (int i = 1; i <= 10; i++) writer.append(record(i));
    await(writer.close());
    Files.writeString(file, "{\"v\":1,\"seq\":11,\"time\":\"2026", StandardCharsets.UTF_8,
        java.nio.file.StandardOpenOption.APPEND);

    AuditWriter again = writer(config(file));
    for (int i = 11; i <= 20; i++) again.append(record(i));
    await(again.close());

    AuditVerifier.Result result = AuditVerifier.verify(new AuditFiles(file));
    assertThat(result.problem()).isNull();
    assertThat(result.records()).isEqualTo(20);
    assertThat(result.lastSeq()).isEqualTo(20);
  }

  @Test
  void aSecondWriterOnTheSameFileIsRefused() {
    Path file = dir.resolve("audit.jsonl");
    AuditWriter first = writer(config(file));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> writer(config(file)))
        .hasMessageContaining("another sp-gateway writes this audit log");
    await(first.close());
    await(writer(config(file)).close()); // free again once the first has stopped
  }

  @Test
  void rotatesBySizeAndByDayAndEachFileStartsFromTheLastHashOfThePreviousOne() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    var clock = new MutableClock(Instant.parse("2026-11-22T10:00:00Z"));
    AuditWriter writer = writer(config(file), new FlakyDisk(), clock);
    for (int i = 1; i <= 6000; i++) writer.append(record(i)); // ~2.4 MB, 1 MB files
    await(writer.close());
    AuditFiles files = new AuditFiles(file);
    assertThat(files.rotated()).hasSizeGreaterThanOrEqualTo(2);
    files.rotated().forEach(rotated -> assertThat(rotated.path().toFile().length()).isLessThan(1024 * 1024 + 600_000));

    AuditWriter nextDay = writer(config(file), new FlakyDisk(), clock);
    await(nextDay.appendDurably(record(6001)));
    int before = files.rotated().size();
    clock.set(Instant.parse("2026-11-23T00:00:01Z"));
    nextDay.append(record(6002));
    await(nextDay.close());
    assertThat(files.rotated()).hasSize(before + 1);
    assertThat(Files.readAllLines(file)).singleElement().satisfies(line -> assertThat(line).contains("req-6002"));

    AuditVerifier.Result result = AuditVerifier.verify(files);
    assertThat(result.problem()).isNull();
    assertThat(result.records()).isEqualTo(6002);
    List<AuditFiles.LogFile> rotated = files.rotated();
    for (int i = 1; i < rotated.size(); i++) {
      String lastOfPrevious = AuditFiles.lastLine(rotated.get(i - 1).path());
      String firstOfNext = Files.newBufferedReader(rotated.get(i).path()).readLine();
      assertThat(AuditLines.prev(firstOfNext)).isEqualTo(AuditLines.claimedHash(lastOfPrevious));
    }
    // The names bound the times inside, so queries can skip files.
    AuditFiles.LogFile oldest = rotated.get(0);
    assertThat(oldest.first()).isEqualTo(Instant.parse("2026-11-22T00:00:00.010Z"));
  }

  @Test
  void retentionKeepsTheNewestFilesAndDropsOldOnes() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    var clock = new MutableClock(Instant.parse("2026-11-22T10:00:00Z"));
    var byCount = config(file, AuditConfig.Durability.BUFFERED, 1, new AuditConfig.Retention(null, 2), 100_000);
    AuditWriter writer = writer(byCount, new FlakyDisk(), clock);
    for (int i = 1; i <= 12_000; i++) writer.append(record(i));
    await(writer.close());
    AuditFiles files = new AuditFiles(file);
    assertThat(files.rotated()).hasSize(2);
    // Each rotated file's request-id index goes with it.
    try (var entries = Files.list(dir)) {
      assertThat(entries.filter(path -> path.toString().endsWith(AuditIndex.SUFFIX))).hasSize(2);
    }
    assertThat(AuditVerifier.verify(files).problem()).isNull(); // the chain starts at the oldest file kept
    assertThat(AuditVerifier.verify(files).firstSeq()).isGreaterThan(1);

    // Records of 2026-11-22 are older than 30 days on 2026-12-30: their files go at the next start.
    clock.set(Instant.parse("2026-12-30T00:00:00Z"));
    var byAge = config(file, AuditConfig.Durability.BUFFERED, 1, new AuditConfig.Retention(Duration.ofDays(30), null),
        100_000);
    await(writer(byAge, new FlakyDisk(), clock).close());
    assertThat(files.rotated()).isEmpty();
    assertThat(Files.exists(file)).isTrue();
  }

  @Test
  void aFullDiskTurnsRequestsAwayKeepsEveryRecordAndRecovers() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    FlakyDisk disk = new FlakyDisk();
    AuditWriter writer = writer(config(file), disk, Clock.systemUTC());
    await(writer.appendDurably(record(1)));

    disk.full = true;
    for (int i = 2; i <= 50; i++) writer.append(record(i));
    waitFor(() -> !writer.writable());
    assertThat(writer.admits()).isFalse();
    assertThat(writer.admits()).isFalse();

    disk.full = false;
    waitFor(writer::writable);
    assertThat(writer.admits()).isTrue();
    await(writer.close());

    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(51); // 50 records and the summary of the refusals
    assertThat(lines.subList(0, 50)).allSatisfy(line -> assertThat(line).contains("\"requestId\":\"req-"));
    JsonObject summary = new JsonObject(lines.get(50));
    assertThat(summary.getString("outcome")).isEqualTo("refused");
    assertThat(summary.getString("problem")).isEqualTo("audit-unavailable");
    assertThat(summary.getString("reason")).startsWith("2 requests were refused with 503");
    assertThat(AuditVerifier.verify(new AuditFiles(file)).problem()).isNull(); // the torn write was cut back
  }

  @Test
  void tooManyWaitingRecordsTurnRequestsAway() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    FlakyDisk disk = new FlakyDisk();
    AuditWriter writer = writer(config(file, AuditConfig.Durability.BUFFERED, 1, null, 3), disk, Clock.systemUTC());
    disk.full = true;
    writer.append(record(1));
    writer.append(record(2));
    writer.append(record(3));
    assertThat(writer.admits()).isFalse();
    disk.full = false;
    await(writer.close());
    assertThat(Files.readAllLines(file)).hasSize(4);
  }

  @Test
  void strictRecordsAreAcknowledgedOnlyOnceOnDisk() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    FlakyDisk disk = new FlakyDisk();
    AuditWriter writer = writer(config(file, AuditConfig.Durability.STRICT, 1, null, 1000), disk, Clock.systemUTC());
    assertThat(writer.strict()).isTrue();
    await(writer.appendDurably(record(1)));
    assertThat(Files.readAllLines(file)).hasSize(1);

    disk.full = true;
    Future<Void> durable = writer.appendDurably(record(2));
    waitFor(() -> !writer.writable());
    assertThat(durable.isComplete()).isFalse();
    disk.full = false;
    await(durable);
    assertThat(Files.readAllLines(file)).hasSize(2);
    await(writer.close());
  }

  /** Waits for a condition the writer thread makes true; fails after 10 s. */
  static void waitFor(BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("condition not met within 10 s");
      Thread.onSpinWait();
    }
  }
}
