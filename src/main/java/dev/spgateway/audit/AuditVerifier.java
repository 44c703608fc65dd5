package dev.spgateway.audit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;

/**
 * Walks the log's files in order and checks the chain: every line whole, its hash matching its content,
 * its seq one more than the line before, its {@code prev} that line's hash, across file boundaries too.
 * Reports the first place that is wrong, and how: changed, removed, reordered or truncated.
 *
 * <p>What a hash chain cannot show by itself: whole records cut from the end of the newest file, or the
 * oldest files deleted (as retention does). {@link Result#lastHash()} and the first seq are printed so
 * an operator can keep them elsewhere and compare.
 */
public final class AuditVerifier {

  /** What went wrong, and where: {@code line} is 1-based within {@code file}. */
  public record Problem(Path file, long line, String kind, String detail) {
    @Override
    public String toString() {
      return file + ":" + line + ": " + kind + ": " + detail;
    }
  }

  /** {@code problem} is null when the chain is whole. */
  public record Result(int files, long records, long firstSeq, long lastSeq, String lastHash, Problem problem) {
    public boolean whole() {
      return problem == null;
    }
  }

  private final MessageDigest sha256 = AuditLines.sha256();
  private long expectedSeq = -1;
  private String expectedPrev;
  private Path previousFile;
  private long previousLine;
  private long records;
  private long firstSeq;

  private AuditVerifier() {}

  public static Result verify(AuditFiles files) {
    return new AuditVerifier().run(files.list());
  }

  private Result run(List<AuditFiles.LogFile> logFiles) {
    for (AuditFiles.LogFile file : logFiles) {
      Problem problem = file(file.path());
      if (problem != null) return new Result(logFiles.size(), records, firstSeq, expectedSeq - 1, expectedPrev, problem);
    }
    return new Result(logFiles.size(), records, firstSeq, expectedSeq - 1, expectedPrev, null);
  }

  private Problem file(Path path) {
    boolean endsWhole = endsWithNewline(path);
    try (BufferedReader reader = Files.newBufferedReader(path)) {
      String line = reader.readLine();
      long number = 0;
      while (line != null) {
        number++;
        String next = reader.readLine();
        Problem problem = line(path, number, line, next, next == null && !endsWhole);
        if (problem != null) return problem;
        line = next;
      }
      if (number > 0) {
        previousFile = path;
        previousLine = number;
      }
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the audit file " + path + ": " + e.getMessage(), e);
    }
  }

  private Problem line(Path file, long number, String line, String next, boolean cutShort) {
    if (cutShort) {
      return new Problem(file, number, "truncated", "the file ends inside this record: the rest of it was cut off");
    }
    if (!AuditLines.looksComplete(line)) {
      return new Problem(file, number, "changed", "this is not a whole audit record (version "
          + AuditLines.VERSION + " lines start with {\"v\":1,\"seq\": and end with a hash)");
    }
    if (!AuditLines.computeHash(line, sha256).equals(AuditLines.claimedHash(line))) {
      return new Problem(file, number, "changed", "the record's content does not match its hash");
    }
    long seq = AuditLines.seq(line);
    String prev = AuditLines.prev(line);
    if (expectedSeq < 0) {
      firstSeq = seq;
      if (seq == 1 && !prev.equals(AuditLines.GENESIS)) {
        return new Problem(file, number, "changed", "the first record must chain to " + AuditLines.GENESIS);
      }
    } else if (seq != expectedSeq) {
      return sequenceBreak(file, number, seq, next);
    } else if (!prev.equals(expectedPrev)) {
      Path where = number == 1 ? previousFile : file;
      long at = number == 1 ? previousLine : number - 1;
      return new Problem(where, at, "changed", "the record was replaced: its hash is not the one the next record "
          + "(seq " + seq + ") chains to");
    }
    records++;
    expectedSeq = seq + 1;
    expectedPrev = AuditLines.claimedHash(line);
    return null;
  }

  private Problem sequenceBreak(Path file, long number, long seq, String next) {
    if (seq < expectedSeq || (next != null && AuditLines.seq(next) == expectedSeq)) {
      return new Problem(file, number, "reordered", "record seq " + seq + " stands where seq " + expectedSeq
          + " should");
    }
    String missing = seq - expectedSeq == 1 ? "record seq " + expectedSeq + " is" : "records seq " + expectedSeq
        + " to " + (seq - 1) + " are";
    if (number == 1) {
      return new Problem(previousFile, previousLine + 1, "truncated", missing + " missing after the last line of this "
          + "file: its end was cut off, or a whole file before " + file.getFileName() + " was deleted");
    }
    return new Problem(file, number, "removed", missing + " missing before this line");
  }

  private static boolean endsWithNewline(Path file) {
    try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
      if (in.length() == 0) return true;
      in.seek(in.length() - 1);
      return in.read() == '\n';
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the audit file " + file + ": " + e.getMessage(), e);
    }
  }
}
