package dev.spgateway.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
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
    Scan scan = new Scan(query.compile(), cursor, newestFirst, sink, false, null);
    scan(query, newestFirst, cursor, scan);
    return scan.highestSeq;
  }

  /**
   * Writes each matching record, as written (UTF-8, one per line), to {@code out}; at most {@code limit}
   * of them when {@code limit > 0}. The bytes go from the file to {@code out} without being decoded, so
   * an export runs at the speed of reading the files.
   */
  public void export(AuditQuery query, boolean newestFirst, long limit, OutputStream out) throws IOException {
    long[] written = {0};
    Scan scan = new Scan(query.compile(), null, newestFirst, null, limit <= 0, (bytes, offset, length) -> {
      try {
        out.write(bytes, offset, length);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return limit <= 0 || ++written[0] < limit;
    });
    try {
      scan(query, newestFirst, null, scan);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    out.flush();
  }

  private void scan(AuditQuery query, boolean newestFirst, Long cursor, Scan scan) {
    List<AuditFiles.LogFile> logFiles = new ArrayList<>(files.list());
    long[] firstSeqs = new long[logFiles.size()];
    for (int i = 0; i < firstSeqs.length; i++) firstSeqs[i] = cursor == null ? 0 : firstSeq(logFiles.get(i).path());
    for (int n = 0; n < logFiles.size() && !scan.stopped; n++) {
      int i = newestFirst ? logFiles.size() - 1 - n : n;
      AuditFiles.LogFile file = logFiles.get(i);
      if (!file.mayHold(query.from(), query.to())) continue;
      if (cursor != null && newestFirst && firstSeqs[i] >= cursor) continue;
      if (cursor != null && !newestFirst && lastSeq(file.path()) <= cursor) continue;
      if (query.requestId() != null && !file.active()) {
        AuditIndex index = AuditIndex.of(file.path());
        if (index != null && !index.mayContain(query.requestId())) continue; // written at rotation
      }
      scan.file(file.path(), 0);
    }
  }

  /** Takes a matching line as the bytes written, its newline included (or several whole lines); false to stop. */
  @FunctionalInterface
  private interface RawSink {
    boolean accept(byte[] bytes, int offset, int length);
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
        long lastBefore = lastSeq(); // the scan covers at least this far: later polls start after it
        seen = Math.max(Math.max(seen, lastBefore), scan(query, false, seen, guarded));
        activeFirstSeq = firstSeq;
        activeOffset = lengthBefore;
      } else {
        long lastBefore = lastSeq();
        Scan scan = new Scan(compiled, seen, false, guarded, false, null);
        activeOffset = scan.file(files.active(), activeOffset);
        boolean sameFile = firstSeq(files.active()) == activeFirstSeq; // not rotated under the scan
        seen = Math.max(Math.max(seen, sameFile ? lastBefore : 0), scan.highestSeq);
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

  /**
   * One pass over files; remembers where it got to. Files are read in chunks of whole lines, each seen as
   * ISO-8859-1 text of its bytes, so that finding a filter's text is a {@code String.indexOf} over the
   * chunk (vectorised by the JVM), as grep would: lines without it are never cut out.
   */
  private static final class Scan {
    private static final int CHUNK = 256 * 1024; // well under G1's humongous-object size

    private final AuditQuery.Compiled query;
    private final Long cursor;
    private final boolean backwards;
    private final Predicate<Match> sink;
    private final RawSink raw;
    /** Nothing to test per line: every line is taken as it is (an export of everything). */
    private final boolean takesAll;
    /** {@link #raw} may take whole chunks of lines at once (no limit to count them against). */
    private final boolean chunks;
    private byte[] bytes = new byte[CHUNK];
    private int[] newlines = new int[4096];
    private boolean stopped;
    private long highestSeq;

    /**
     * Gives matches to {@code sink} as decoded lines, or (when {@code raw} is given) to {@code raw} as bytes,
     * several lines at a time if {@code unlimited}.
     */
    Scan(AuditQuery.Compiled query, Long cursor, boolean backwards, Predicate<Match> sink, boolean unlimited,
        RawSink raw) {
      this.query = query;
      this.cursor = cursor;
      this.backwards = backwards;
      this.sink = sink;
      this.raw = raw;
      this.takesAll = raw != null && cursor == null && query.needles().length == 0 && query.fromText() == null
          && query.toText() == null && !query.needsParsing() && query.query().status() == null;
      this.chunks = takesAll && unlimited;
    }

    /** Scans one file from {@code offset} (forwards only); returns the offset after its last whole line. */
    long file(Path path, long offset) {
      try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
        long size = channel.size();
        return backwards ? backwards(channel, size) : forwards(channel, offset, size);
      } catch (NoSuchFileException e) {
        return offset; // rotated away or deleted by retention since the listing
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the audit file " + path + ": " + e.getMessage(), e);
      }
    }

    private long forwards(FileChannel channel, long offset, long size) throws IOException {
      long position = offset;
      while (position < size && !stopped) {
        int length = read(channel, position, (int) Math.min(bytes.length, size - position));
        int end = lastNewline(length) + 1;
        if (end == 0) {
          if (length < bytes.length) break; // an incomplete last line: not read
          bytes = java.util.Arrays.copyOf(bytes, bytes.length * 2); // a line longer than a chunk
          continue;
        }
        lines(0, end);
        position += end;
      }
      return position;
    }

    private long backwards(FileChannel channel, long size) throws IOException {
      long end = size;
      while (end > 0 && !stopped) {
        long start = Math.max(0, end - bytes.length);
        int length = read(channel, start, (int) (end - start));
        int whole = end == size ? lastNewline(length) + 1 : length; // the file may end in an incomplete line
        int from = 0;
        if (start > 0) {
          while (from < whole && bytes[from] != '\n') from++;
          if (from == whole) {
            bytes = new byte[bytes.length * 2];
            continue;
          }
          from++;
        }
        lines(from, whole);
        end = start + from;
        if (end == size) break;
      }
      return size;
    }

    private int read(FileChannel channel, long position, int length) throws IOException {
      java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(bytes, 0, length);
      while (buffer.hasRemaining()) {
        if (channel.read(buffer, position + buffer.position()) < 0) break;
      }
      return buffer.position();
    }

    private int lastNewline(int length) {
      for (int i = length - 1; i >= 0; i--) {
        if (bytes[i] == '\n') return i;
      }
      return -1;
    }

    /** The lines in {@code bytes[from, to)}, which ends with a newline, in the scan's order. */
    private void lines(int from, int to) {
      if (takesAll) {
        rawLines(from, to);
        return;
      }
      String text = new String(bytes, from, to - from, StandardCharsets.ISO_8859_1);
      String needle = query.needles().length > 0 ? query.needles()[0] : null;
      java.util.List<int[]> candidates = new ArrayList<>();
      int at = 0;
      while (at < text.length()) {
        int start = at;
        if (needle != null) {
          int hit = text.indexOf(needle, at);
          if (hit < 0) break;
          start = text.lastIndexOf('\n', hit) + 1;
        }
        int end = text.indexOf('\n', start);
        candidates.add(new int[] {start, end});
        at = end + 1;
      }
      for (int n = 0; n < candidates.size() && !stopped; n++) {
        int[] line = candidates.get(backwards ? candidates.size() - 1 - n : n);
        line(text, from, line[0], line[1]);
      }
    }

    /** Every line, straight from the bytes: nothing is decoded, and nothing copied but into {@link #raw}. */
    private void rawLines(int from, int to) {
      if (!backwards && chunks) {
        if (!raw.accept(bytes, from, to - from)) stopped = true;
        return;
      }
      // Where the lines end, found with String.indexOf (vectorised by the JVM) on the bytes as ISO-8859-1 text.
      String text = new String(bytes, from, to - from, StandardCharsets.ISO_8859_1);
      int count = 0;
      for (int at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) {
        if (count == newlines.length) newlines = java.util.Arrays.copyOf(newlines, count * 2);
        newlines[count++] = from + at;
      }
      for (int n = 0; n < count && !stopped; n++) {
        int i = backwards ? count - 1 - n : n;
        int start = i == 0 ? from : newlines[i - 1] + 1;
        emit(start, newlines[i]);
      }
    }

    /** The line {@code bytes[start, end)}, with the newline at {@code end}. */
    private void emit(int start, int end) {
      if (end <= start) return;
      if (!raw.accept(bytes, start, end - start + 1)) stopped = true;
    }

    private void line(String text, int base, int start, int end) {
      if (end <= start) return;
      String rawLine = text.substring(start, end);
      long seq = AuditLines.seq(rawLine);
      highestSeq = Math.max(highestSeq, seq);
      if (cursor != null && (backwards ? seq >= cursor : seq <= cursor)) return;
      if (!query.mayMatch(rawLine)) return;
      if (raw != null && !query.needsParsing()) {
        emit(base + start, base + end);
        return;
      }
      String line = new String(bytes, base + start, end - start, StandardCharsets.UTF_8);
      if (query.needsParsing() && !matches(line)) return;
      if (raw != null) emit(base + start, base + end);
      else if (!sink.test(new Match(seq, line))) stopped = true;
    }

    private boolean matches(String line) {
      try {
        return query.matches(JSON.readTree(line));
      } catch (IOException e) {
        return false; // a damaged line: `audit verify` reports it
      }
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
