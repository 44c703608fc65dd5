package dev.spgateway.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JSON object per line, appended by a thread of its own: event loops only put records on a queue,
 * and the writer serialises and writes them in batches (one write and flush per batch). The writer
 * wakes on a short interval rather than on every record: waking it per record costs each request a
 * futex signal and a context switch, which under load is more than writing the record.
 */
public final class JsonLinesAuditLog implements AuditLog {

  private static final Logger LOG = LoggerFactory.getLogger(JsonLinesAuditLog.class);
  private static final int QUEUE_CAPACITY = 65_536;
  private static final int BATCH = 512;
  /** How long a record may wait in memory before it is written. */
  private static final long DRAIN_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  private final BlockingQueue<AuditRecord> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
  /** Times are written as ISO-8601 text here, on the writer, not on the event loop that made the record. */
  private final ObjectMapper json = new ObjectMapper().registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
  private final OutputStream out;
  private final Thread writer;
  private final Counter written;
  private final Counter lost;
  private final AtomicBoolean warnedFull = new AtomicBoolean();
  private final Promise<Void> closed = Promise.promise();
  private volatile boolean closing;

  private JsonLinesAuditLog(OutputStream out, MeterRegistry registry) {
    this.out = out;
    this.written = Counter.builder("gateway.audit.records").description("Audit records written").register(registry);
    this.lost = Counter.builder("gateway.audit.lost").description("Audit records lost because the writer fell behind")
        .register(registry);
    this.writer = new Thread(this::writeLoop, "audit-writer");
    writer.setDaemon(true);
    writer.start();
  }

  /** Opens (appending to) {@code file}, or standard output for {@code "-"}. Blocking: call at start. */
  public static JsonLinesAuditLog open(AuditConfig config, MeterRegistry registry) {
    try {
      if (config.file().equals("-")) return new JsonLinesAuditLog(System.out, registry);
      Path file = Path.of(config.file());
      if (file.getParent() != null) Files.createDirectories(file.getParent());
      return new JsonLinesAuditLog(Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND),
          registry);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the audit log " + config.file() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void append(AuditRecord record) {
    if (!queue.offer(record)) {
      lost.increment();
      if (warnedFull.compareAndSet(false, true)) {
        LOG.error("The audit writer cannot keep up: records are being lost (see gateway_audit_lost_total)");
      }
    }
  }

  @Override
  public Future<Void> close() {
    closing = true;
    LockSupport.unpark(writer);
    return closed.future();
  }

  private void writeLoop() {
    List<AuditRecord> batch = new ArrayList<>(BATCH);
    StringBuilder lines = new StringBuilder();
    try {
      while (!(closing && queue.isEmpty())) {
        if (queue.drainTo(batch, BATCH) == 0) {
          LockSupport.parkNanos(this, DRAIN_INTERVAL_NANOS);
          continue;
        }
        for (AuditRecord record : batch) lines.append(json.writeValueAsString(record)).append('\n');
        out.write(lines.toString().getBytes(StandardCharsets.UTF_8));
        out.flush();
        written.increment(batch.size());
        batch.clear();
        lines.setLength(0);
        warnedFull.set(false);
      }
      if (out != System.out) out.close();
      closed.tryComplete();
    } catch (JsonProcessingException e) {
      LOG.error("Cannot serialise an audit record; the audit writer stops", e);
      closed.tryFail(e);
    } catch (IOException e) {
      LOG.error("Cannot write the audit log; the audit writer stops: {}", e.getMessage());
      closed.tryFail(e);
    }
  }
}
