package dev.spgateway.audit;

import io.vertx.core.Future;

/** Where audit records go. Nothing here blocks: it is called on event loops. */
public interface AuditLog {

  /**
   * Whether a new request may start: false while the writer is behind by more than the configured queue
   * or cannot write at all. A refused request is counted (metric, and one summary record on recovery).
   */
  boolean admits();

  /** Queues a record; it is on disk within the flush interval. Never drops it. */
  void append(AuditRecord record);

  /** Queues a record; the future completes, on the caller's context, once the record is on disk. */
  Future<Void> appendDurably(AuditRecord record);

  /** A reload's service principals: records written from now on name their client ids. */
  void clientIds(java.util.Map<String, String> clientIds);

  /** Whether responses must wait for their record ({@code durability: strict}). */
  boolean strict();

  /** Writes out and syncs everything appended so far, then stops. */
  Future<Void> close();
}
