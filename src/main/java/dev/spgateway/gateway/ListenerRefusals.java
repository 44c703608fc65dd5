package dev.spgateway.gateway;

import dev.spgateway.audit.AuditLog;
import dev.spgateway.audit.AuditRecord;
import dev.spgateway.listener.Refusals;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records what the listener refused before the pipeline saw it (malformed requests, heads too large or too slow,
 * connections over the cap): one audit record and one log line each, with the peer's address in the reason.
 * Hostile probes come in floods, so at most {@link #PER_SECOND} are recorded a second; the next record says how
 * many were not.
 */
final class ListenerRefusals implements Refusals {

  private static final Logger LOG = LoggerFactory.getLogger(ListenerRefusals.class);
  static final int PER_SECOND = 20;
  /** Enough of a refused target to see what it was, not enough to fill the disk. */
  private static final int MAX_TARGET = 256;

  private final AuditLog audit;
  private long windowStart = System.nanoTime();
  private int inWindow;
  private long notRecorded;

  ListenerRefusals(AuditLog audit) {
    this.audit = audit;
  }

  @Override
  public synchronized String refused(String peer, String method, String target, int status, String problemType,
      String reason) {
    String requestId = RequestIds.next();
    long now = System.nanoTime();
    if (now - windowStart >= 1_000_000_000L) {
      windowStart = now;
      inWindow = 0;
    }
    if (inWindow >= PER_SECOND || !audit.admits()) {
      notRecorded++;
      return requestId;
    }
    inWindow++;
    String why = "from " + peer + ": " + reason + (notRecorded == 0 ? "" : " (" + notRecorded
        + " more refusals by the listener were not recorded: over " + PER_SECOND + " a second)");
    notRecorded = 0;
    LOG.warn("Listener refused a request ({} {}) {}", status, problemType, why);
    audit.append(new AuditRecord(Instant.now(), requestId, null, null, null, null, shortened(method),
        shortened(target), List.of(), null, null, "denied", problemType, why, null, status, 0, 0, 0.0, null, null,
        null, List.of()));
    return requestId;
  }

  private static String shortened(String text) {
    if (text == null) return null;
    String cut = text.length() > MAX_TARGET ? text.substring(0, MAX_TARGET) + "..." : text;
    return Pipeline.printable(cut);
  }
}
