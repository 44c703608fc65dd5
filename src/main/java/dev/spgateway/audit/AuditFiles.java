package dev.spgateway.audit;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The files of one audit log: the active file ({@code audit.jsonl}) and, next to it, the rotated ones,
 * named {@code audit.OPENED.FIRST.LAST.jsonl}: when the file was started (their order), and the
 * earliest and latest record time in it, so a query can skip a file without opening it.
 */
public final class AuditFiles {

  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssSSSSSS'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);

  /**
   * One file, in write order. {@code first}/{@code last} bound its records' times; both null for the
   * active file, whose range is not known without reading it.
   */
  public record LogFile(Path path, Instant opened, Instant first, Instant last) {
    public boolean active() {
      return first == null;
    }

    /** Whether records between {@code from} and {@code to} (either may be null) can be in this file. */
    public boolean mayHold(Instant from, Instant to) {
      if (active()) return true;
      return (from == null || !last.isBefore(from)) && (to == null || !first.isAfter(to));
    }

    public String name() {
      return path.getFileName().toString();
    }
  }

  private final Path active;
  private final String stem;
  private final String extension;

  public AuditFiles(Path activeFile) {
    this.active = activeFile.toAbsolutePath();
    String name = active.getFileName().toString();
    int dot = name.lastIndexOf('.');
    this.stem = dot <= 0 ? name : name.substring(0, dot);
    this.extension = dot <= 0 ? "" : name.substring(dot);
  }

  public Path active() {
    return active;
  }

  public Path directory() {
    return active.getParent();
  }

  /** Rotated files oldest first, then the active file if it exists. */
  public List<LogFile> list() {
    List<LogFile> files = new ArrayList<>(rotated());
    if (Files.exists(active)) files.add(new LogFile(active, null, null, null));
    return files;
  }

  /** Rotated files, oldest first. */
  public List<LogFile> rotated() {
    if (!Files.isDirectory(directory())) return List.of();
    try (Stream<Path> entries = Files.list(directory())) {
      return entries.map(this::parse).filter(java.util.Objects::nonNull)
          .sorted(Comparator.comparing(LogFile::opened)).toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the audit directory " + directory() + ": " + e.getMessage(), e);
    }
  }

  Path rotatedPath(Instant opened, Instant first, Instant last) {
    return directory().resolve(stem + "." + STAMP.format(opened) + "." + STAMP.format(first) + "."
        + STAMP.format(last) + extension);
  }

  private LogFile parse(Path path) {
    String name = path.getFileName().toString();
    if (!name.startsWith(stem + ".") || !name.endsWith(extension) || name.equals(active.getFileName().toString())) {
      return null;
    }
    String[] stamps = name.substring(stem.length() + 1, name.length() - extension.length()).split("\\.");
    if (stamps.length != 3) return null;
    try {
      return new LogFile(path, Instant.from(STAMP.parse(stamps[0])), Instant.from(STAMP.parse(stamps[1])),
          Instant.from(STAMP.parse(stamps[2])));
    } catch (DateTimeParseException e) {
      return null; // not one of ours
    }
  }

  /** The last complete line of {@code file} (without its newline), or null when it has none. */
  static String lastLine(Path file) throws IOException {
    try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
      long end = completeLength(in);
      if (end == 0) return null;
      long start = end - 1;
      byte[] chunk = new byte[8192];
      // Walk back to the newline before the last one.
      while (start > 0) {
        int size = (int) Math.min(chunk.length, start);
        in.seek(start - size);
        in.readFully(chunk, 0, size);
        for (int i = size - 1; i >= 0; i--) {
          if (chunk[i] == '\n') {
            return read(in, start - size + i + 1, end - 1);
          }
        }
        start -= size;
      }
      return read(in, 0, end - 1);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  /** The length of the file up to and including its last newline: what a reader can trust to be whole. */
  static long completeLength(RandomAccessFile in) throws IOException {
    long length = in.length();
    byte[] chunk = new byte[8192];
    long end = length;
    while (end > 0) {
      int size = (int) Math.min(chunk.length, end);
      in.seek(end - size);
      in.readFully(chunk, 0, size);
      for (int i = size - 1; i >= 0; i--) {
        if (chunk[i] == '\n') return end - size + i + 1;
      }
      end -= size;
    }
    return 0;
  }

  private static String read(RandomAccessFile in, long from, long to) throws IOException {
    byte[] bytes = new byte[(int) (to - from)];
    in.seek(from);
    in.readFully(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
