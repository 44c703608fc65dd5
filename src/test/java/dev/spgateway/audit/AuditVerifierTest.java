package dev.spgateway.audit;

import static dev.spgateway.audit.AuditFixture.config;
import static dev.spgateway.audit.AuditFixture.record;
import static dev.spgateway.audit.AuditFixture.writer;
import static dev.spgateway.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each kind of tampering is found, at the right file and line. */
class AuditVerifierTest {

  @TempDir Path dir;
  AuditFiles files;
  List<Path> paths;

  @BeforeEach
  void writeALogOfSeveralFiles() {
    Path file = dir.resolve("audit.jsonl");
    AuditWriter writer = writer(config(file));
    for (int i = 1; i <= 6000; i++) writer.append(record(i));
    await(writer.close());
    files = new AuditFiles(file);
    paths = files.list().stream().map(AuditFiles.LogFile::path).toList();
    assertThat(paths).hasSizeGreaterThanOrEqualTo(4);
    AuditVerifier.Result whole = AuditVerifier.verify(files);
    assertThat(whole.problem()).isNull();
    assertThat(whole.records()).isEqualTo(6000);
  }

  @Test
  void aChangedFieldIsFoundAtItsLine() throws IOException {
    edit(paths.get(1), lines -> lines.set(41, lines.get(41).replace("\"status\":200", "\"status\":201")));
    assertProblem(paths.get(1), 42, "changed");
  }

  @Test
  void aRecordRewrittenWithAFreshHashIsFoundByTheNextOne() throws IOException {
    edit(paths.get(0), lines -> {
      String line = lines.get(9).replace("\"bytesOut\":120", "\"bytesOut\":1");
      String body = line.substring(0, line.lastIndexOf(",\"hash\":\""));
      lines.set(9, body + ",\"hash\":\"" + AuditLines.computeHash(line, AuditLines.sha256()) + "\"}");
    });
    assertProblem(paths.get(0), 10, "changed");
  }

  @Test
  void aDeletedLineIsFoundWhereItWas() throws IOException {
    edit(paths.get(2), lines -> lines.remove(99));
    assertProblem(paths.get(2), 100, "removed");
  }

  @Test
  void twoSwappedLinesAreFoundAsReordered() throws IOException {
    edit(paths.get(1), lines -> Collections.swap(lines, 7, 8));
    assertProblem(paths.get(1), 8, "reordered");
  }

  @Test
  void aFileCutInsideARecordIsTruncatedAtItsLastLine() throws IOException {
    Path active = paths.get(paths.size() - 1);
    long lines = Files.readAllLines(active).size();
    try (RandomAccessFile file = new RandomAccessFile(active.toFile(), "rw")) {
      file.setLength(file.length() - 30);
    }
    assertProblem(active, lines, "truncated");
  }

  @Test
  void aRotatedFileCutAtALineBoundaryIsTruncatedAtItsEnd() throws IOException {
    edit(paths.get(0), lines -> lines.subList(lines.size() - 3, lines.size()).clear());
    long kept = Files.readAllLines(paths.get(0)).size();
    assertProblem(paths.get(0), kept + 1, "truncated");
  }

  @Test
  void aDeletedRotatedFileIsFoundAtTheEndOfTheOneBefore() throws IOException {
    long linesOfFirst = Files.readAllLines(paths.get(0)).size();
    Files.delete(paths.get(1));
    AuditVerifier.Problem problem = AuditVerifier.verify(files).problem();
    assertThat(problem.file()).isEqualTo(paths.get(0));
    assertThat(problem.line()).isEqualTo(linesOfFirst + 1);
    assertThat(problem.detail()).contains("missing").contains(paths.get(2).getFileName().toString());
  }

  private void assertProblem(Path file, long line, String kind) {
    AuditVerifier.Result result = AuditVerifier.verify(files);
    assertThat(result.whole()).isFalse();
    assertThat(result.problem().file()).isEqualTo(file);
    assertThat(result.problem().line()).isEqualTo(line);
    assertThat(result.problem().kind()).isEqualTo(kind);
  }

  private static void edit(Path file, java.util.function.Consumer<List<String>> change) throws IOException {
    List<String> lines = new ArrayList<>(Files.readAllLines(file));
    change.accept(lines);
    Files.write(file, lines);
  }
}
