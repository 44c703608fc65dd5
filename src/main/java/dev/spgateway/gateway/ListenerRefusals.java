package dev.spgateway.gateway;

import dev.spgateway.audit.AuditLog;
import dev.spgateway.audit.AuditRecord;
import dev.spgateway.listener.Refusals;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records what the listener refused before the pipeline saw it (malformed requests, heads too large or too slow,
 * connections over the cap): one audit record and one log line each, with the peer's address in the reason.
 * Hostile probes come in floods, so at most {@link #PER_SECOND} are recorded a second, and at most
 * {@link #PER_ADDRESS_PER_SECOND} of them from one address, so one flooding peer cannot hide the others; the next
 * record says how many were not.
 */
final class ListenerRefusals implements Refusals {

  private static final Logger LOG = LoggerFactory.getLogger(ListenerRefusals.class);
  static final int PER_SECOND = 20;
  static final int PER_ADDRESS_PER_SECOND = 5;
  /** Enough of a refused target to see what it was, not enough to fill the disk. */
  private static final int MAX_TARGET = 256;

  private final AuditLog audit;
  private final java.util.function.LongSupplier nanoTime;
  private long windowStart;
  private int inWindow;
  /** Records this second per peer address (its port left out: a flood comes from many); at most PER_SECOND keys. */
  private final Map<String, Integer> byAddress = new HashMap<>();
  private long notRecorded;

  ListenerRefusals(AuditLog audit) {
    this(audit, System::nanoTime);
  }

  ListenerRefusals(AuditLog audit, java.util.function.LongSupplier nanoTime) {
    this.audit = audit;
    this.nanoTime = nanoTime;
    this.windowStart = nanoTime.getAsLong();
  }

  @Override
  public synchronized String refused(String peer, String method, String target, int status, String problemType,
      String reason) {
    String requestId = RequestIds.next();
    long now = nanoTime.getAsLong();
    if (now - windowStart >= 1_000_000_000L) {
      windowStart = now;
      inWindow = 0;
      byAddress.clear();
    }
    String address = address(peer);
    int fromAddress = byAddress.getOrDefault(address, 0);
    if (inWindow >= PER_SECOND || fromAddress >= PER_ADDRESS_PER_SECOND || !audit.admits()) {
      notRecorded++;
      return requestId;
    }
    inWindow++;
    byAddress.put(address, fromAddress + 1);
    String why = "from " + peer + ": " + reason + (notRecorded == 0 ? "" : " (" + notRecorded
        + " more refusals by the listener were not recorded: over " + PER_SECOND + " a second, or "
        + PER_ADDRESS_PER_SECOND + " from one address)");
    notRecorded = 0;
    LOG.warn("Listener refused a request ({} {}) {}", status, problemType, why);
    audit.append(new AuditRecord(Instant.now(), requestId, null, null, null, null, shortened(method),
        shortened(target), List.of(), null, null, "denied", problemType, why, null, status, 0, 0, 0.0, null, null,
        null, List.of()));
    return requestId;
  }

  /** {@code host:port} without its port (an IPv6 host keeps its colons). */
  private static String address(String peer) {
    int colon = peer.lastIndexOf(':');
    return colon < 0 ? peer : peer.substring(0, colon);
  }

  private static String shortened(String text) {
    if (text == null) return null;
    String cut = text.length() > MAX_TARGET ? text.substring(0, MAX_TARGET) + "..." : text;
    return Pipeline.printable(cut);
  }
}
