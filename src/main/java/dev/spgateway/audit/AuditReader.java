package dev.spgateway.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * Finds records in the log's files, oldest or newest first, without holding more than one line at a
 * time. Fast because most lines are never parsed: files outside the time range are skipped by their
 * names, each line is memory-mapped and first tested as raw text (time, and the filters' exact
 * {@code "field":"value"} text); only the lines that pass are parsed and checked exactly.
 * Blocking: call it off event loops.
 */
public final class AuditReader {

  /** A line as written (no newline) and its sequence number, the position paging continues from. */
  public record Match(long seq, String line) {}

  /** One page of results; {@code next} is the cursor for the following page, or null after the last. */
  public record Page(List<Match> records, Long next) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  private final AuditFiles files;

  public AuditReader(AuditFiles files) {
    this.files = files;
  }

  /** Up to {@code limit} records after {@code cursor} (a seq from a previous page, or null). */
  public Page page(AuditQuery query, boolean newestFirst, int limit, Long cursor) {
    List<Match> found = new ArrayList<>();
    scan(query, newestFirst, cursor, match -> {
      found.add(match);
      return found.size() < limit;
    });
    return new Page(found, found.size() == limit ? found.get(limit - 1).seq() : null);
  }

  /**
   * Gives {@code sink} each matching record in order, until it returns false; starts after
   * {@code cursor} (a seq) when one is given. Returns the highest seq looked at, matching or not.
   */
  public long scan(AuditQuery query, boolean newestFirst, Long cursor, Predicate<Match> sink) {
    AuditQuery.Compiled compiled = query.compile();
    List<AuditFiles.LogFile> logFiles = new ArrayList<>(files.list());
    long[] firstSeqs = new long[logFiles.size()];
    for (int i = 0; i < firstSeqs.length; i++) firstSeqs[i] = cursor == null ? 0 : firstSeq(logFiles.get(i).path());
    Scan scan = new Scan(compiled, cursor, newestFirst, sink);
    for (int n = 0; n < logFiles.size() && !scan.stopped; n++) {
      int i = newestFirst ? logFiles.size() - 1 - n : n;
      AuditFiles.LogFile file = logFiles.get(i);
      if (!file.mayHold(query.from(), query.to())) continue;
      if (cursor != null && newestFirst && firstSeqs[i] >= cursor) continue;
      if (cursor != null && !newestFirst && lastSeq(file.path()) <= cursor) continue;
      scan.file(file.path(), 0);
    }
    return scan.highestSeq;
  }

  /**
   * Follows the log like {@code tail -f}: gives {@code sink} every matching record written after
   * {@code afterSeq}, through rotations, until {@code stopped} says so or the sink returns false.
   */
  public void follow(AuditQuery query, long afterSeq, Predicate<Match> sink, BooleanSupplier stopped)
      throws InterruptedException {
    long seen = afterSeq;
    long activeFirstSeq = -1;
    long activeOffset = 0;
    boolean[] sinkDone = {false};
    Predicate<Match> guarded = match -> !(sinkDone[0] = !sink.test(match));
    AuditQuery.Compiled compiled = query.compile();
    while (!stopped.getAsBoolean() && !sinkDone[0]) {
      long firstSeq = firstSeq(files.active());
      if (firstSeq != activeFirstSeq || firstSeq > seen + 1) {
        // Rotated (or first look): whatever was written since lies in the newest files.
        long lengthBefore = completeLength(files.active());
        seen = Math.max(seen, scan(query, false, seen, guarded));
        activeFirstSeq = firstSeq;
        activeOffset = lengthBefore;
      } else {
        Scan scan = new Scan(compiled, seen, false, guarded);
        activeOffset = scan.file(files.active(), activeOffset);
        seen = Math.max(seen, scan.highestSeq);
      }
      if (!sinkDone[0]) Thread.sleep(250);
    }
  }

  /** The seq of the last record written, or 0 for an empty log. */
  public long lastSeq() {
    List<AuditFiles.LogFile> all = files.list();
    for (int i = all.size() - 1; i >= 0; i--) {
      long last = lastSeq(all.get(i).path());
      if (last > 0) return last;
    }
    return 0;
  }

  private static long lastSeq(Path file) {
    try {
      String last = AuditFiles.lastLine(file);
      return last == null ? 0 : AuditLines.seq(last);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the audit file " + file + ": " + e.getMessage(), e);
    }
  }

  /** One pass over files; remembers where it got to. */
  private static final class Scan {
    private final AuditQuery.Compiled query;
    private final Long cursor;
    private final boolean backwards;
    private final Predicate<Match> sink;
    private byte[] scratch = new byte[4096];
    private boolean stopped;
    private long highestSeq;

    Scan(AuditQuery.Compiled query, Long cursor, boolean backwards, Predicate<Match> sink) {
      this.query = query;
      this.cursor = cursor;
      this.backwards = backwards;
      this.sink = sink;
    }

    /** Scans one file from {@code offset} (forwards only); returns the offset after its last whole line. */
    long file(Path path, long offset) {
      try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
        long size = channel.size();
        if (size <= offset) return offset;
        MappedByteBuffer map = channel.map(FileChannel.MapMode.READ_ONLY, offset, size - offset);
        int length = map.limit();
        if (backwards) {
          int end = length;
          while (end > 0 && map.get(end - 1) != '\n') end--; // an incomplete last line is not read
          end--;
          for (int i = end - 1; i >= -1 && !stopped; i--) {
            if (i < 0 || map.get(i) == '\n') {
              line(map, i + 1, end);
              end = i;
            }
          }
          return size;
        }
        int start = 0;
        for (int i = 0; i < length && !stopped; i++) {
          if (map.get(i) == '\n') {
            line(map, start, i);
            start = i + 1;
          }
        }
        return offset + start;
      } catch (NoSuchFileException e) {
        return offset; // rotated away or deleted by retention since the listing
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the audit file " + path + ": " + e.getMessage(), e);
      }
    }

    private void line(MappedByteBuffer map, int start, int end) {
      int length = end - start;
      if (length <= 0) return;
      if (scratch.length < length) scratch = new byte[Math.max(length, scratch.length * 2)];
      map.get(start, scratch, 0, length);
      String raw = new String(scratch, 0, length, StandardCharsets.ISO_8859_1);
      long seq = AuditLines.seq(raw);
      highestSeq = Math.max(highestSeq, seq);
      if (cursor != null && (backwards ? seq >= cursor : seq <= cursor)) return;
      if (!query.mayMatch(raw)) return;
      String line = new String(scratch, 0, length, StandardCharsets.UTF_8);
      JsonNode record;
      try {
        record = JSON.readTree(line);
      } catch (IOException e) {
        return; // a damaged line: `audit verify` reports it
      }
      if (query.matches(record) && !sink.test(new Match(seq, line))) stopped = true;
    }
  }

  private static long firstSeq(Path file) {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      java.nio.ByteBuffer head = java.nio.ByteBuffer.allocate(64);
      channel.read(head, 0);
      long seq = AuditLines.seq(new String(head.array(), 0, head.position(), StandardCharsets.ISO_8859_1));
      return seq < 0 ? Long.MAX_VALUE : seq;
    } catch (NoSuchFileException e) {
      return Long.MAX_VALUE;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the audit file " + file + ": " + e.getMessage(), e);
    }
  }

  private static long completeLength(Path file) {
    try (var in = new java.io.RandomAccessFile(file.toFile(), "r")) {
      return AuditFiles.completeLength(in);
    } catch (IOException e) {
      return 0;
    }
  }
}
