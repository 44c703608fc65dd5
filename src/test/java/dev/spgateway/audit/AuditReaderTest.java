package dev.spgateway.audit;

import static dev.spgateway.audit.AuditFixture.config;
import static dev.spgateway.audit.AuditFixture.record;
import static dev.spgateway.audit.AuditFixture.writer;
import static dev.spgateway.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Queries over a log of several files: filters, order, time-range skipping, paging, following. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuditReaderTest {

  static final int RECORDS = 6000;
  @TempDir static Path dir;
  AuditReader reader;

  @BeforeAll
  void writeALogOfSeveralFiles() {
    Path file = dir.resolve("audit.jsonl");
    AuditWriter writer = writer(config(file));
    for (int i = 1; i <= RECORDS; i++) writer.append(record(i));
    await(writer.close());
    assertThat(new AuditFiles(file).rotated()).hasSizeGreaterThanOrEqualTo(3);
    reader = new AuditReader(new AuditFiles(file));
  }

  @Test
  void filtersCombineAndOrderIsOldestOrNewestFirst() {
    AuditQuery query = query(Map.of("caller", "invoice-flow", "method", "get", "status", "2xx"));
    List<String> oldest = ids(reader.page(query, false, 1000, null));
    // i % 3 == 0 (invoice-flow), even (GET), not a multiple of 5 (403): i = 6, 12, 18, 24, 36, ...
    assertThat(oldest).startsWith("req-6", "req-12", "req-18", "req-24", "req-36");
    assertThat(oldest).hasSize((int) java.util.stream.IntStream.rangeClosed(1, RECORDS)
        .filter(i -> i % 6 == 0 && i % 5 != 0).count());
    List<String> newest = ids(reader.page(query, true, 1000, null));
    assertThat(newest).startsWith("req-5994", "req-5988");
    List<String> reversed = new ArrayList<>(oldest);
    java.util.Collections.reverse(reversed);
    assertThat(newest).containsExactlyElementsOf(reversed);
  }

  @Test
  void exactStatusDecisionPathPrefixRequestIdAndServicePrincipal() {
    List<String> expected = java.util.stream.IntStream.rangeClosed(1, RECORDS)
        .filter(i -> i % 5 == 0 && Integer.toString(i).startsWith("5")).limit(100).mapToObj(i -> "req-" + i).toList();
    assertThat(ids(reader.page(query(Map.of("status", "403", "path", "/v1.0/users/5")), false, 100, null)))
        .containsExactlyElementsOf(expected);
    assertThat(ids(reader.page(query(Map.of("requestId", "req-4242")), true, 10, null))).containsExactly("req-4242");
    assertThat(ids(reader.page(query(Map.of("outcome", "denied", "servicePrincipal", "finance")), true, 10, null)))
        .isEmpty(); // denied requests never got as far as a service principal
    assertThat(ids(reader.page(query(Map.of("outcome", "denied")), false, 3, null)))
        .containsExactly("req-5", "req-10", "req-15");
  }

  @Test
  void aTimeRangeReadsOnlyTheFilesThatCanHoldIt() {
    // Record i is at 00:00:00 + 10 ms × i: 00:00:30 to 00:00:31 (exclusive) is i = 3000..3099.
    AuditQuery range = query(Map.of("from", "2026-11-22T00:00:30Z", "to", "2026-11-22T00:00:31Z"));
    assertThat(ids(reader.page(range, false, 1000, null))).hasSize(100).startsWith("req-3000").endsWith("req-3099");
    List<AuditFiles.LogFile> holding = new AuditFiles(dir.resolve("audit.jsonl")).list().stream()
        .filter(file -> file.mayHold(range.from(), range.to())).toList();
    assertThat(holding).hasSizeLessThan(new AuditFiles(dir.resolve("audit.jsonl")).list().size());
  }

  @Test
  void pagesFollowEachOtherWithoutGapsOrRepeatsInBothOrders() {
    for (boolean newestFirst : new boolean[] {false, true}) {
      List<String> all = new ArrayList<>();
      Long cursor = null;
      int pages = 0;
      do {
        AuditReader.Page page = reader.page(AuditQuery.all(), newestFirst, 700, cursor);
        all.addAll(ids(page));
        cursor = page.next();
        pages++;
      } while (cursor != null);
      assertThat(pages).isEqualTo(RECORDS / 700 + 1);
      assertThat(all).hasSize(RECORDS).doesNotHaveDuplicates();
      assertThat(all.get(0)).isEqualTo(newestFirst ? "req-" + RECORDS : "req-1");
    }
  }

  @Test
  void badFiltersAreRefusedWithTheFix() {
    assertThatThrownBy(() -> query(Map.of("status", "4x"))).hasMessageContaining("4xx");
    assertThatThrownBy(() -> query(Map.of("from", "yesterday"))).hasMessageContaining("2026-11-22T03:00:00Z");
  }

  @Test
  void followGivesRecordsWrittenLaterThroughARotation(@TempDir Path other) throws Exception {
    Path file = other.resolve("audit.jsonl");
    AuditWriter writer = writer(config(file));
    await(writer.appendDurably(record(1)));
    AuditReader follower = new AuditReader(new AuditFiles(file));
    List<String> seen = new CopyOnWriteArrayList<>();
    CompletableFuture<Void> followed = CompletableFuture.runAsync(() -> {
      try {
        follower.follow(query(Map.of("caller", "invoice-flow")), follower.lastSeq(),
            match -> seen.add(new io.vertx.core.json.JsonObject(match.line()).getString("requestId")) && seen.size() < 1000,
            () -> false);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    for (int i = 2; i <= 3001; i++) writer.append(record(i)); // past 1 MB: the file rotates meanwhile
    await(writer.close());
    followed.get(20, TimeUnit.SECONDS);
    assertThat(new AuditFiles(file).rotated()).isNotEmpty();
    assertThat(seen).hasSize(1000).startsWith("req-3", "req-6").endsWith("req-3000");
  }

  /**
   * Each rotated file has an index of its request ids, written at rotation: a lookup reads only the files
   * that may hold the id. Shown with a line added to a file after its index was written: found only once
   * that file has no index and must be read.
   */
  @Test
  void aRequestIdIsLookedUpOnlyInTheFilesWhoseIndexMayHoldIt(@TempDir Path own) throws Exception {
    Path file = own.resolve("audit.jsonl");
    AuditWriter writer = writer(config(file));
    for (int i = 1; i <= RECORDS; i++) writer.append(record(i));
    await(writer.close());
    List<AuditFiles.LogFile> rotated = new AuditFiles(file).rotated();
    assertThat(rotated).allSatisfy(logFile -> assertThat(AuditIndex.indexPath(logFile.path())).exists());
    AuditFiles.LogFile oldest = rotated.get(0);
    AuditIndex index = AuditIndex.of(oldest.path());
    assertThat(index.mayContain("req-1")).isTrue();
    assertThat(java.util.stream.IntStream.rangeClosed(1, RECORDS).filter(i -> index.mayContain("req-" + i)))
        .as("every id in the file, and about 1 %% of the others").hasSizeBetween(lines(oldest.path()),
            lines(oldest.path()) + RECORDS / 20);

    String stowaway = java.nio.file.Files.readAllLines(file).get(0).replaceFirst("\"requestId\":\"[^\"]*\"",
        "\"requestId\":\"stowaway\"");
    java.nio.file.Files.writeString(oldest.path(), stowaway + "\n", java.nio.file.StandardOpenOption.APPEND);
    AuditReader indexed = new AuditReader(new AuditFiles(file));
    AuditQuery lookup = query(Map.of("requestId", "stowaway"));
    assertThat(ids(indexed.page(lookup, true, 10, null))).isEmpty();
    java.nio.file.Files.delete(AuditIndex.indexPath(oldest.path()));
    assertThat(ids(indexed.page(lookup, true, 10, null))).containsExactly("stowaway");
    // Every other id is still found, through the indexes.
    assertThat(ids(indexed.page(query(Map.of("requestId", "req-" + RECORDS / 2)), true, 10, null)))
        .containsExactly("req-" + RECORDS / 2);
  }

  /** The export streams the files' bytes: the same lines, in the same order, as the records a scan finds. */
  @Test
  void anExportWritesExactlyTheLinesAScanFinds() throws Exception {
    for (Map<String, String> filter : List.of(Map.<String, String>of(), Map.of("caller", "invoice-flow"),
        Map.of("method", "GET", "status", "2xx"), Map.of("from", "2026-11-22T00:00:30Z", "to", "2026-11-22T00:00:31Z"))) {
      for (boolean newestFirst : new boolean[] {true, false}) {
        for (int limit : new int[] {0, 1, 250}) {
          List<String> scanned = new ArrayList<>();
          reader.scan(query(filter), newestFirst, null, match -> {
            scanned.add(match.line());
            return limit == 0 || scanned.size() < limit;
          });
          var out = new java.io.ByteArrayOutputStream();
          reader.export(query(filter), newestFirst, limit, out);
          assertThat(out.toString(java.nio.charset.StandardCharsets.UTF_8).lines().toList())
              .as("%s newest first %s limit %d", filter, newestFirst, limit).containsExactlyElementsOf(scanned);
        }
      }
    }
  }

  private static int lines(Path file) throws java.io.IOException {
    try (var lines = java.nio.file.Files.lines(file)) {
      return (int) lines.count();
    }
  }

  private static AuditQuery query(Map<String, String> values) {
    return AuditQuery.parse(values::get);
  }

  private static List<String> ids(AuditReader.Page page) {
    return page.records().stream()
        .map(match -> new io.vertx.core.json.JsonObject(match.line()).getString("requestId")).toList();
  }
}
