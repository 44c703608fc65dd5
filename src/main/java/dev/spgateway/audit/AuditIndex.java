package dev.spgateway.audit;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;

/**
 * The request ids of one rotated audit file, as a Bloom filter next to it ({@code NAME.jsonl.idx}), written
 * by the writer when it rotates the file. A lookup by request id reads only the files whose index may hold
 * it (about 1 in 100 of the others, by chance) and the active file; a file without an index is read.
 * About 1.2 bytes per record.
 */
public final class AuditIndex {

  static final String SUFFIX = ".idx";
  private static final int MAGIC = 0x53504731; // "SPG1"
  private static final int HASHES = 7; // with 10 bits per id: about 1 % false positives

  private final long[] bits;

  private AuditIndex(long[] bits) {
    this.bits = bits;
  }

  /** The index of {@code logFile}, or null when it has none (or one this version cannot read). */
  static AuditIndex of(Path logFile) {
    try (InputStream in = Files.newInputStream(indexPath(logFile));
        DataInputStream data = new DataInputStream(new java.io.BufferedInputStream(in, 1 << 16))) {
      if (data.readInt() != MAGIC) return null;
      long[] bits = new long[data.readInt()];
      for (int i = 0; i < bits.length; i++) bits[i] = data.readLong();
      return bits.length == 0 ? null : new AuditIndex(bits);
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      return null; // damaged: the file is read instead
    }
  }

  static Path indexPath(Path logFile) {
    return logFile.resolveSibling(logFile.getFileName() + SUFFIX);
  }

  /** False only when no record of the file has this request id. */
  boolean mayContain(String requestId) {
    long hash = hash(requestId);
    long size = (long) bits.length * 64;
    long h1 = mix(hash);
    long h2 = mix(hash ^ 0x9E3779B97F4A7C15L) | 1;
    for (int i = 0; i < HASHES; i++) {
      long bit = Math.floorMod(h1 + i * h2, size);
      if ((bits[(int) (bit >>> 6)] & (1L << bit)) == 0) return false;
    }
    return true;
  }

  /** The ids of the file being written; {@link #write} turns them into its index when it is rotated. */
  static final class Builder {
    private long[] hashes = new long[1024];
    private int count;
    private boolean exact = true;

    void add(String requestId) {
      if (requestId == null) return;
      if (count == hashes.length) hashes = Arrays.copyOf(hashes, count * 2);
      hashes[count++] = hash(requestId);
    }

    /** An id as it appears in a written line (between the quotes); an escaped one cannot be trusted. */
    void addWritten(String idText) {
      if (idText.indexOf('\\') >= 0) exact = false;
      else add(idText);
    }

    /** Writes the index of {@code logFile} (to a temporary file first: a reader never sees half of one). */
    void write(Path logFile) throws IOException {
      if (!exact) return;
      long[] bits = new long[(int) Math.max(1, (count * 10L + 63) / 64)];
      long size = (long) bits.length * 64;
      for (int n = 0; n < count; n++) {
        long h1 = mix(hashes[n]);
        long h2 = mix(hashes[n] ^ 0x9E3779B97F4A7C15L) | 1;
        for (int i = 0; i < HASHES; i++) {
          long bit = Math.floorMod(h1 + i * h2, size);
          bits[(int) (bit >>> 6)] |= 1L << bit;
        }
      }
      Path index = indexPath(logFile);
      Path partial = index.resolveSibling(index.getFileName() + ".partial");
      try (OutputStream out = Files.newOutputStream(partial);
          DataOutputStream data = new DataOutputStream(new java.io.BufferedOutputStream(out, 1 << 16))) {
        data.writeInt(MAGIC);
        data.writeInt(bits.length);
        for (long word : bits) data.writeLong(word);
      }
      Files.move(partial, index, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    void clear() {
      count = 0;
      exact = true;
      if (hashes.length > 1 << 20) hashes = new long[1024];
    }
  }

  /** FNV-1a over the id's UTF-8 bytes: fixed forever, since indexes outlive the process that wrote them. */
  private static long hash(String requestId) {
    long hash = 0xcbf29ce484222325L;
    for (byte b : requestId.getBytes(StandardCharsets.UTF_8)) {
      hash ^= b & 0xff;
      hash *= 0x100000001b3L;
    }
    return hash;
  }

  /** SplitMix64's finaliser: spreads FNV's bits over the whole word. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
