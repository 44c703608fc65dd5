package dev.spgateway.listener;

import dev.spgateway.check.Checks;
import dev.spgateway.check.Problems;

/**
 * Where and how the gateway listens for callers.
 *
 * @param eventLoops how many event loops serve callers: the listener is deployed once per loop, all sharing the
 *     port, and each request stays on the loop that accepted its connection. Default: the processors this process
 *     may use (so one under {@code taskset -c 0}, every core otherwise).
 */
public record ListenerConfig(String host, Integer port, Integer eventLoops) {

  /** More loops than this is a typo, not a machine. */
  static final int MAX_EVENT_LOOPS = 256;

  public ListenerConfig {
    if (host == null) host = "0.0.0.0";
    if (port == null) port = 8080;
    if (eventLoops == null) eventLoops = Runtime.getRuntime().availableProcessors();
  }

  public static ListenerConfig defaults() {
    return new ListenerConfig(null, null, null);
  }

  public void check(String path, Problems problems) {
    Checks.port(Problems.field(path, "port"), port, problems);
    if (eventLoops < 1 || eventLoops > MAX_EVENT_LOOPS) {
      problems.add(Problems.field(path, "eventLoops"), eventLoops + " event loops: use 1-" + MAX_EVENT_LOOPS
          + ", usually the number of cores (leave it out to use every core this process may use)");
    }
  }
}
