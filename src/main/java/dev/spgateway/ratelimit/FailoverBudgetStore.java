package dev.spgateway.ratelimit;

import io.vertx.core.Future;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared store, with a plan for when it cannot be reached: decide with this gateway's share of each
 * budget ({@code onUnavailable: local}) or refuse with 503 ({@code deny}).
 *
 * <p>A slow reply is not an outage. A decision that fails (error, or no reply within the timeout) is made
 * without Redis, but Redis is declared unavailable only after {@code failuresBeforeOutage} failures in a
 * row, each of a decision sent after the previous failure was seen: the requests queued behind one slow
 * reply time out together and count as one. An outage is logged once when it starts and once when it
 * ends; during one, a single request per {@link #PROBE_INTERVAL_MICROS} tries Redis again and the others
 * do not wait for it.
 *
 * <p>The local budgets are this gateway's share ({@code 1/replicas}) of each limit, and every request
 * Redis allows is counted in them too, so a fallback goes on from what this gateway has already spent
 * rather than from zero: N gateways sharing a budget cannot, between them, let much more than it through.
 * Holds are kept in both stores, so an upstream's Retry-After is honoured whichever one decides.
 */
final class FailoverBudgetStore implements BudgetStore {

  static final long PROBE_INTERVAL_MICROS = 1_000_000;
  static final String STORE_UNAVAILABLE = "store-unavailable";
  private static final Logger LOG = LoggerFactory.getLogger(FailoverBudgetStore.class);

  private final BudgetStore shared;
  private final LocalBudgetStore local;
  private final RateLimitConfig.Redis config;
  private final RateLimitMetrics metrics;
  /** Each limit list (built once per caller, service principal and upstream) and this gateway's share of it. */
  private final Map<List<Limit>, List<Limit>> shares = new ConcurrentHashMap<>();
  private final AtomicBoolean down = new AtomicBoolean();
  private final AtomicLong nextProbe = new AtomicLong();
  /** Decisions sent to Redis so far: a decision's number says whether it was sent after a failure was seen. */
  private final AtomicLong sent = new AtomicLong();
  /** {@link #sent} when the last counted failure was seen. */
  private final AtomicLong failureSeenAt = new AtomicLong(-1);
  private final AtomicInteger failuresInARow = new AtomicInteger();

  FailoverBudgetStore(BudgetStore shared, LocalBudgetStore local, RateLimitConfig.Redis config, RateLimitMetrics metrics) {
    this.shared = shared;
    this.local = local;
    this.config = config;
    this.metrics = metrics;
  }

  @Override
  public Future<Verdict> take(String holdKey, List<Limit> limits, int cost, long nowMicros) {
    if (down.get()) {
      long probeAt = nextProbe.get();
      if (nowMicros < probeAt || !nextProbe.compareAndSet(probeAt, nowMicros + PROBE_INTERVAL_MICROS)) {
        return unavailable(holdKey, limits, cost, nowMicros);
      }
    }
    long number = sent.incrementAndGet();
    return shared.take(holdKey, limits, cost, nowMicros).transform(result -> {
      if (result.succeeded()) {
        failuresInARow.set(0);
        if (down.compareAndSet(true, false)) {
          metrics.storeUp.set(true);
          LOG.info("the shared rate-limit store answers again; budgets are shared once more");
        }
        if (result.result().allowed()) local.decide(holdKey, share(limits), cost, nowMicros); // this gateway's spending
        return Future.succeededFuture(result.result());
      }
      failed(number, nowMicros, result.cause());
      return unavailable(holdKey, limits, cost, nowMicros);
    });
  }

  /** Counts a failure if its decision was sent after the last counted one was seen; enough in a row is an outage. */
  private void failed(long number, long nowMicros, Throwable cause) {
    long seenAt = failureSeenAt.get();
    if (number <= seenAt || !failureSeenAt.compareAndSet(seenAt, sent.get())) return;
    if (failuresInARow.incrementAndGet() < config.failuresBeforeOutage() || !down.compareAndSet(false, true)) return;
    nextProbe.set(nowMicros + PROBE_INTERVAL_MICROS);
    metrics.storeUp.set(false);
    LOG.warn("the shared rate-limit store cannot be reached ({}, {} times in a row); until it returns, {}",
        describe(cause), config.failuresBeforeOutage(), config.onUnavailable() == RateLimitConfig.Unavailable.local
            ? "each gateway limits with its own share of each budget (1/" + config.replicas() + ")"
            : "requests are refused with 503 (ratelimit.redis.onUnavailable: deny)");
  }

  private Future<Verdict> unavailable(String holdKey, List<Limit> limits, int cost, long nowMicros) {
    metrics.storeUnavailable();
    if (config.onUnavailable() == RateLimitConfig.Unavailable.local) {
      return local.take(holdKey, share(limits), cost, nowMicros);
    }
    return Future.succeededFuture(new Verdict(STORE_UNAVAILABLE, PROBE_INTERVAL_MICROS, List.of()));
  }

  private List<Limit> share(List<Limit> limits) {
    if (config.replicas() == 1) return limits;
    return shares.computeIfAbsent(limits, all -> all.stream().map(limit -> limit.share(config.replicas())).toList());
  }

  @Override
  public Future<Void> hold(String holdKey, long nowMicros, long untilMicros) {
    local.hold(holdKey, nowMicros, untilMicros);
    if (down.get()) return Future.succeededFuture();
    return shared.hold(holdKey, nowMicros, untilMicros).recover(failure -> Future.succeededFuture());
  }

  @Override
  public Future<Void> close() {
    return shared.close();
  }

  /** The kind of failure and its message; Redis errors name host and port, never the URL's password. */
  private static String describe(Throwable failure) {
    return failure.getClass().getSimpleName() + (failure.getMessage() == null ? "" : ": " + failure.getMessage());
  }
}
