package dev.spgateway.ratelimit;

import io.vertx.core.Future;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared store, with a plan for when it cannot be reached: decide with this process's own budgets
 * ({@code onUnavailable: local}) or refuse with 503 ({@code deny}). An outage is logged once when it
 * starts and once when it ends. During one, a single request per {@link #PROBE_INTERVAL_MICROS} tries
 * the shared store again; the others do not wait for it. Holds are kept in both stores, so an upstream's
 * Retry-After is honoured whichever one decides.
 */
final class FailoverBudgetStore implements BudgetStore {

  static final long PROBE_INTERVAL_MICROS = 1_000_000;
  static final String STORE_UNAVAILABLE = "store-unavailable";
  private static final Logger LOG = LoggerFactory.getLogger(FailoverBudgetStore.class);

  private final BudgetStore shared;
  private final LocalBudgetStore local;
  private final RateLimitConfig.Unavailable onUnavailable;
  private final RateLimitMetrics metrics;
  private final AtomicBoolean down = new AtomicBoolean();
  private final AtomicLong nextProbe = new AtomicLong();

  FailoverBudgetStore(BudgetStore shared, LocalBudgetStore local, RateLimitConfig.Unavailable onUnavailable,
      RateLimitMetrics metrics) {
    this.shared = shared;
    this.local = local;
    this.onUnavailable = onUnavailable;
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
    return shared.take(holdKey, limits, cost, nowMicros).transform(result -> {
      if (result.succeeded()) {
        if (down.compareAndSet(true, false)) {
          metrics.storeUp.set(true);
          LOG.info("the shared rate-limit store answers again; budgets are shared once more");
        }
        return Future.succeededFuture(result.result());
      }
      if (down.compareAndSet(false, true)) {
        nextProbe.set(nowMicros + PROBE_INTERVAL_MICROS);
        metrics.storeUp.set(false);
        LOG.warn("the shared rate-limit store cannot be reached ({}); until it returns, {}", describe(result.cause()),
            onUnavailable == RateLimitConfig.Unavailable.local
                ? "each gateway limits with its own in-memory budgets"
                : "requests are refused with 503 (ratelimit.redis.onUnavailable: deny)");
      }
      return unavailable(holdKey, limits, cost, nowMicros);
    });
  }

  private Future<Verdict> unavailable(String holdKey, List<Limit> limits, int cost, long nowMicros) {
    metrics.storeUnavailable();
    if (onUnavailable == RateLimitConfig.Unavailable.local) return local.take(holdKey, limits, cost, nowMicros);
    return Future.succeededFuture(new Verdict(STORE_UNAVAILABLE, PROBE_INTERVAL_MICROS, List.of()));
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
