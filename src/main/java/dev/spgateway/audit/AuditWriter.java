package dev.spgateway.audit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends audit lines from a thread of its own, in batches (group commit): event loops only queue
 * records. Each batch is one write; a sync follows when a strict record waits for it or the flush
 * interval has passed. The writer wakes on a short interval rather than per record (a wake-up per
 * record costs each request a futex and a context switch), except for strict records, which wake it.
 *
 * <p>Nothing is dropped: when a write fails (disk full) the file is cut back to the last whole line, the
 * batch is kept and retried, and meanwhile {@link #admits()} turns new requests away; the same happens
 * when more than {@code queueSize} records wait.
 */
public final class AuditWriter implements AuditLog {

  private static final Logger LOG = LoggerFactory.getLogger(AuditWriter.class);
  private static final int BATCH = 4096;
  private static final long WAKE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
  private static final long RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

  /** Opens the active file for appending; tests put a failing disk here. */
  interface Disk {
    FileChannel open(Path file) throws IOException;
  }

  private record Pending(AuditRecord record, Context context, Promise<Void> durable) {}

  private final AuditConfig config;
  private final AuditFiles files;
  /** The request ids of the active file, for its index at rotation. Touched only by the writer thread. */
  private final AuditIndex.Builder ids = new AuditIndex.Builder();
  private final AuditLines lines;
  private final Disk disk;
  private final Clock clock;
  private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger waiting = new AtomicInteger();
  private final AtomicLong refused = new AtomicLong();
  private final Counter written;
  private final Counter refusedCounter;
  private final Counter episodes;
  private final Thread writer;
  private final Promise<Void> closed = Promise.promise();
  private volatile boolean available = true;
  private volatile boolean closing;
  private final AtomicBoolean refusing = new AtomicBoolean();
  private volatile Instant refusingSince;

  // Owned by the writer thread.
  private FileChannel channel;
  private long size;
  private long seq;
  private String prev;
  private Instant opened;
  private Instant first;
  private Instant last;
  private long lastSyncNanos = System.nanoTime();
  private boolean synced = true;
  /** How many records of the current batch are written: a failed write resumes after them. */
  private int done;

  AuditWriter(AuditConfig config, Map<String, String> clientIds, MeterRegistry registry, Disk disk, Clock clock) {
    this.config = config;
    this.files = new AuditFiles(Path.of(config.file()));
    this.lines = new AuditLines(clientIds, config.queryValues());
    this.disk = disk;
    this.clock = clock;
    this.written = Counter.builder("gateway.audit.records").description("Audit records written").register(registry);
    this.refusedCounter = Counter.builder("gateway.audit.refused")
        .description("Requests refused with 503 because the audit log could not take their record").register(registry);
    this.episodes = Counter.builder("gateway.audit.unavailable.episodes")
        .description("Times the audit log stopped taking records (disk full, writer behind)").register(registry);
    Gauge.builder("gateway.audit.pending", waiting, AtomicInteger::get)
        .description("Audit records waiting for the writer").register(registry);
    Gauge.builder("gateway.audit.available", this, writer -> writer.available ? 1 : 0)
        .description("1 while audit writes succeed, 0 while they fail and are retried").register(registry);
    try {
      resume();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the audit log " + files.active() + ": " + e.getMessage(), e);
    }
    this.writer = new Thread(this::writeLoop, "audit-writer");
    writer.setDaemon(true);
    writer.start();
  }

  @Override
  public void clientIds(Map<String, String> clientIds) {
    lines.clientIds(clientIds);
  }

  /** Opens the log at {@code config.file()}, continuing its chain. Blocking: call at start, off event loops. */
  public static AuditWriter open(AuditConfig config, Map<String, String> clientIds, MeterRegistry registry) {
    return new AuditWriter(config, clientIds, registry,
        file -> FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND),
        Clock.systemUTC());
  }

  @Override
  public boolean admits() {
    if (available && waiting.get() < config.queueSize()) return true;
    refused.incrementAndGet();
    refusedCounter.increment();
    if (refusing.compareAndSet(false, true)) {
      refusingSince = clock.instant();
      episodes.increment();
      LOG.error("The audit log cannot take more records ({}): new requests get 503 audit-unavailable until it can; "
          + "no record is dropped (see gateway_audit_available, gateway_audit_refused_total)",
          available ? waiting.get() + " wait for the writer" : "writing fails");
    }
    return false;
  }

  /** Whether the last write succeeded (without counting a refusal, as {@link #admits()} does). */
  boolean writable() {
    return available;
  }

  @Override
  public void append(AuditRecord record) {
    enqueue(new Pending(record, null, null));
  }

  @Override
  public Future<Void> appendDurably(AuditRecord record) {
    Context context = Vertx.currentContext();
    Promise<Void> durable = Promise.promise();
    enqueue(new Pending(record, context, durable));
    LockSupport.unpark(writer);
    return durable.future();
  }

  private void enqueue(Pending pending) {
    waiting.incrementAndGet();
    queue.add(pending);
  }

  @Override
  public boolean strict() {
    return config.durability() == AuditConfig.Durability.STRICT;
  }

  @Override
  public Future<Void> close() {
    closing = true;
    LockSupport.unpark(writer);
    return closed.future();
  }

  /** Picks up where the last run stopped: cuts an incomplete last line, reads the chain's last seq and hash. */
  private void resume() throws IOException {
    Files.createDirectories(files.directory());
    Path active = files.active();
    String lastLine = null;
    if (Files.exists(active)) {
      try (RandomAccessFile file = new RandomAccessFile(active.toFile(), "rw")) {
        long whole = AuditFiles.completeLength(file);
        if (whole < file.length()) {
          LOG.warn("The audit log {} ended in an incomplete record ({} bytes, left by an unclean stop); it was cut off",
              active, file.length() - whole);
          file.setLength(whole);
        }
      }
      lastLine = AuditFiles.lastLine(active);
      scanTimes(active);
    }
    List<AuditFiles.LogFile> rotated = files.rotated();
    if (opened == null) opened = clock.instant();
    if (!rotated.isEmpty()) {
      AuditFiles.LogFile newest = rotated.get(rotated.size() - 1);
      if (lastLine == null) lastLine = AuditFiles.lastLine(newest.path());
      // Files are ordered by when they were opened: this one must come after the newest rotated one.
      if (!opened.isAfter(newest.opened())) opened = newest.opened().plusNanos(1000);
    }
    seq = lastLine == null ? 0 : AuditLines.seq(lastLine);
    prev = lastLine == null ? AuditLines.GENESIS : AuditLines.claimedHash(lastLine);
    channel = openLocked();
    size = channel.size();
    applyRetention();
  }

  /** Opens the active file, locked: two writers would break the chain (released when the channel closes). */
  private FileChannel openLocked() throws IOException {
    FileChannel opened = disk.open(files.active());
    try {
      if (opened.tryLock() != null) return opened;
    } catch (java.nio.channels.OverlappingFileLockException sameProcess) {
      // fall through: another writer in this process holds it
    }
    opened.close();
    throw new IOException("another sp-gateway writes this audit log (it holds the file's lock); give each "
        + "instance its own audit.file");
  }

  /** The times already in the active file: its rotated name must bound them. */
  private void scanTimes(Path active) throws IOException {
    try (var reader = Files.newBufferedReader(active)) {
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        String time = AuditLines.time(line);
        if (time == null) continue;
        track(AuditLines.TIME.parse(time, Instant::from));
        String id = AuditLines.requestId(line);
        if (id != null) ids.addWritten(id);
      }
    }
    opened = first;
  }

  private void track(Instant time) {
    if (first == null || time.isBefore(first)) first = time;
    if (last == null || time.isAfter(last)) last = time;
  }

  private void writeLoop() {
    List<Pending> batch = new ArrayList<>();
    boolean batchWritten = false;
    long flushNanos = config.flushInterval().toNanos();
    while (true) {
      if (batch.isEmpty()) {
        for (Pending next; batch.size() < BATCH && (next = queue.poll()) != null; ) batch.add(next);
      }
      boolean idle = batch.isEmpty();
      if (idle && closing && synced) break;
      try {
        if (!idle && !batchWritten) {
          write(batch);
          batchWritten = true;
        }
        boolean strictWaits = batch.stream().anyMatch(pending -> pending.durable() != null);
        if (!synced && (strictWaits || closing || System.nanoTime() - lastSyncNanos >= flushNanos)) sync();
        if (!idle && (synced || !strictWaits)) {
          succeeded(batch);
          batch.clear();
          done = 0;
          batchWritten = false;
        }
      } catch (IOException e) {
        failed(e);
        LockSupport.parkNanos(this, RETRY_NANOS);
        continue;
      }
      if (idle) LockSupport.parkNanos(this, Math.min(WAKE_NANOS, flushNanos));
    }
    finish();
  }

  /**
   * Writes the batch from where an earlier attempt stopped: one write per file it falls into (it is cut
   * where the file must rotate). The chain advances only past lines that were written; on failure the
   * file is cut back to its last whole line.
   */
  private void write(List<Pending> batch) throws IOException {
    while (done < batch.size()) {
      rotateIfDue(0);
      long nextSeq = seq;
      String nextPrev = prev;
      java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
      int end = done;
      for (; end < batch.size(); end++) {
        byte[] line = lines.line(nextSeq + 1, batch.get(end).record(), nextPrev);
        if (end > done && size + bytes.size() + line.length > config.maxFileBytes()) break;
        nextSeq++;
        nextPrev = lines.lastHash();
        bytes.writeBytes(line);
      }
      if (size > 0 && size + bytes.size() > config.maxFileBytes()) {
        rotateIfDue(bytes.size());
        continue; // rotated: the lines are chained the same, but written to the new file
      }
      ByteBuffer buffer = ByteBuffer.wrap(bytes.toByteArray());
      try {
        while (buffer.hasRemaining()) channel.write(buffer);
      } catch (IOException e) {
        cutBack();
        throw e;
      }
      size += buffer.limit();
      seq = nextSeq;
      prev = nextPrev;
      synced = false;
      for (int i = done; i < end; i++) {
        track(batch.get(i).record().time());
        ids.add(batch.get(i).record().requestId());
      }
      done = end;
    }
  }

  /** Removes a partly written batch, so the file ends in a whole line when writing resumes. */
  private void cutBack() {
    try {
      channel.truncate(size);
    } catch (IOException e) {
      LOG.debug("cannot cut the audit log back yet; retried with the next write", e);
    }
  }

  private void sync() throws IOException {
    channel.force(false);
    lastSyncNanos = System.nanoTime();
    synced = true;
  }

  private void succeeded(List<Pending> batch) {
    written.increment(batch.size());
    waiting.addAndGet(-batch.size());
    for (Pending pending : batch) {
      if (pending.durable() == null) continue;
      if (pending.context() == null) pending.durable().complete();
      else pending.context().runOnContext(done -> pending.durable().complete());
    }
    recovered();
  }

  private void failed(IOException e) {
    if (!available) return;
    available = false;
    LOG.error("Cannot write the audit log {} ({}); retrying, and refusing new requests meanwhile", files.active(),
        e.toString());
  }

  /** Writing works again and the queue is short: says so, and records how many requests were turned away. */
  private void recovered() {
    if (!available) {
      available = true;
      LOG.warn("The audit log {} is writable again", files.active());
    }
    if (!refusing.get() || waiting.get() >= config.queueSize()) return;
    refusing.set(false);
    long count = refused.getAndSet(0);
    Instant now = clock.instant();
    LOG.warn("The audit log takes records again; {} requests were refused with 503 since {}", count, refusingSince);
    if (count == 0) return;
    enqueue(new Pending(new AuditRecord(now, null, null, null, null, null, null, null, null, null, null, "refused",
        "audit-unavailable", count + " requests were refused with 503 since " + AuditLines.formatTime(refusingSince)
        + " because the audit log could not take their records", null, 503, 0, 0, 0, null, null, null, null),
        null, null));
  }

  /** Starts a new file when {@code coming} more bytes would not fit, or the day has changed (UTC). */
  private void rotateIfDue(long coming) throws IOException {
    Instant now = clock.instant();
    boolean newDay = !opened.atZone(ZoneOffset.UTC).toLocalDate().equals(now.atZone(ZoneOffset.UTC).toLocalDate());
    if (size == 0 || (size + coming <= config.maxFileBytes() && !newDay)) return;
    sync();
    channel.close();
    Path rotated = files.rotatedPath(opened, first, last);
    Files.move(files.active(), rotated, StandardCopyOption.ATOMIC_MOVE);
    LOG.info("Rotated the audit log to {}", rotated.getFileName());
    try {
      ids.write(rotated);
    } catch (IOException e) {
      LOG.warn("Cannot write the request-id index of {} ({}); lookups by request id read the whole file",
          rotated.getFileName(), e.toString());
    }
    ids.clear();
    channel = openLocked();
    size = 0;
    opened = now.isAfter(opened) ? now : opened.plusNanos(1000);
    first = null;
    last = null;
    applyRetention();
  }

  /** Deletes rotated files older than {@code maxAge} or beyond the newest {@code maxFiles}. */
  private void applyRetention() {
    AuditConfig.Retention retention = config.retention();
    if (retention.maxAge() == null && retention.maxFiles() == null) return;
    List<AuditFiles.LogFile> rotated = files.rotated();
    Instant cutoff = retention.maxAge() == null ? null : clock.instant().minus(retention.maxAge());
    int excess = retention.maxFiles() == null ? 0 : rotated.size() - retention.maxFiles();
    for (int i = 0; i < rotated.size(); i++) {
      AuditFiles.LogFile file = rotated.get(i);
      if (i < excess || (cutoff != null && file.last().isBefore(cutoff))) {
        try {
          Files.delete(file.path());
          Files.deleteIfExists(AuditIndex.indexPath(file.path()));
          LOG.info("Deleted {} (audit.retention)", file.name());
        } catch (IOException e) {
          LOG.warn("Cannot delete the old audit file {}: {}", file.path(), e.toString());
        }
      }
    }
  }

  private void finish() {
    try {
      channel.close();
      closed.tryComplete();
    } catch (IOException e) {
      closed.tryFail(e);
    }
  }
}
