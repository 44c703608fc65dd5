package dev.spgateway.gateway;

import dev.spgateway.proxy.UpstreamFailure;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One log line for an upstream's failures (unreachable, silent, broken off) a second at most, per upstream: an outage
 * fails every request to it and the audit log has each of them; the log says that it is happening, and how often.
 */
final class UpstreamFailureLog {

  private static final Logger LOG = LoggerFactory.getLogger(UpstreamFailureLog.class);

  /** Per upstream: the second of its last line, and the failures since that were not logged. */
  private final Map<String, long[]> lastLine = new HashMap<>();

  synchronized void failed(UpstreamFailure failure, String servicePrincipal, Rejection told) {
    long second = System.nanoTime() / 1_000_000_000L;
    long[] last = lastLine.computeIfAbsent(failure.upstream(), name -> new long[] {Long.MIN_VALUE, 0});
    if (last[0] == second) {
      last[1]++;
      return;
    }
    long notLogged = last[1];
    last[0] = second;
    last[1] = 0;
    LOG.warn("{} (service principal '{}'); the caller got {} {}, and the next request tries again{}",
        failure.getMessage(), servicePrincipal, told.status(), told.type(),
        notLogged == 0 ? "" : " (" + notLogged + " more such failures of this upstream since the last line)");
  }
}
