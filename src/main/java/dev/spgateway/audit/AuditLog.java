package dev.spgateway.audit;

import io.vertx.core.Future;

/** Where audit records go. {@link #append} never blocks: it is called on event loops. */
public interface AuditLog {

  void append(AuditRecord record);

  /** Writes out everything appended so far, then stops. */
  Future<Void> close();
}
