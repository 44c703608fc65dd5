package dev.spgateway.ratelimit;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Budgets in this process's memory. One lock guards them all: a decision is a few arithmetic steps,
 * far shorter than the time an event loop would spend waiting for a finer lock to pay off.
 * The state per key is bounded by the config (callers × service principals × upstreams).
 */
public final class LocalBudgetStore implements BudgetStore {

  /** Theoretical arrival times of rates, by key. */
  private final Map<String, long[]> rates = new HashMap<>();
  private final Map<String, Window> windows = new HashMap<>();
  private final Map<String, Long> holds = new HashMap<>();

  @Override
  public Future<Verdict> take(String holdKey, List<Limit> limits, int cost, long nowMicros) {
    return Future.succeededFuture(decide(holdKey, limits, cost, nowMicros));
  }

  /** The decision itself, without a future: what the benchmark measures. */
  public synchronized Verdict decide(String holdKey, List<Limit> limits, int cost, long now) {
    String refusedBy = null;
    long retryAfter = 0;
    Long hold = holds.get(holdKey);
    if (hold != null && hold > now) {
      refusedBy = Verdict.UPSTREAM_HOLD;
      retryAfter = hold - now;
    }
    // First judge every limit, then spend from all of them only if all agree.
    for (Limit limit : limits) {
      long wait = limit instanceof Limit.Rate rate ? rateWait(rate, cost, now) : windowWait((Limit.Quota) limit, cost, now);
      if (wait != 0 && refusedBy == null) {
        refusedBy = limit.name();
        retryAfter = wait;
      }
    }
    List<Verdict.Standing> standings = new ArrayList<>(limits.size());
    for (Limit limit : limits) {
      if (limit instanceof Limit.Rate rate) {
        long[] tat = rates.computeIfAbsent(rate.key(), k -> new long[] {0});
        if (refusedBy == null) tat[0] = Math.max(tat[0], now) + cost * rate.intervalMicros();
        long ahead = Math.max(0, tat[0] - now);
        standings.add(new Verdict.Standing(rate, (rate.burst() * rate.intervalMicros() - ahead) / rate.intervalMicros(),
            ahead));
      } else {
        Limit.Quota quota = (Limit.Quota) limit;
        Window window = windows.computeIfAbsent(quota.key(), k -> new Window());
        if (refusedBy == null) window.add(quota, now, cost);
        standings.add(new Verdict.Standing(quota, quota.quota() - window.count(quota, now), window.reset(quota, now)));
      }
    }
    return new Verdict(refusedBy, retryAfter, standings);
  }

  /** 0 when {@code cost} fits now, else how long until it does. */
  private long rateWait(Limit.Rate rate, int cost, long now) {
    if (cost > rate.burst()) return Verdict.NEVER;
    long[] tat = rates.get(rate.key());
    long start = tat == null ? now : Math.max(tat[0], now);
    long over = start + cost * rate.intervalMicros() - now - rate.burst() * rate.intervalMicros();
    return Math.max(0, over);
  }

  private long windowWait(Limit.Quota quota, int cost, long now) {
    if (cost > quota.quota()) return Verdict.NEVER;
    Window window = windows.get(quota.key());
    return window == null ? 0 : window.wait(quota, now, cost);
  }

  @Override
  public synchronized Future<Void> hold(String holdKey, long nowMicros, long untilMicros) {
    holds.merge(holdKey, untilMicros, Math::max);
    return Future.succeededFuture();
  }

  /**
   * A rolling window as a ring of buckets: slot {@code i % n} holds bucket {@code i}'s count while
   * {@code index[slot] == i}. {@code n} is {@link Limit#WINDOW_BUCKETS} + 1, the bucket under way included.
   */
  private static final class Window {

    private static final int SLOTS = Limit.WINDOW_BUCKETS + 1;
    private final long[] index = new long[SLOTS];
    private final long[] count = new long[SLOTS];

    Window() {
      java.util.Arrays.fill(index, Long.MIN_VALUE);
    }

    void add(Limit.Quota quota, long now, int cost) {
      long bucket = now / quota.bucketMicros();
      int slot = (int) Math.floorMod(bucket, (long) SLOTS);
      if (index[slot] != bucket) {
        index[slot] = bucket;
        count[slot] = 0;
      }
      count[slot] += cost;
    }

    long count(Limit.Quota quota, long now) {
      long oldest = now / quota.bucketMicros() - Limit.WINDOW_BUCKETS;
      long total = 0;
      for (int slot = 0; slot < SLOTS; slot++) if (index[slot] >= oldest) total += count[slot];
      return total;
    }

    /** Until enough old buckets drop out for {@code cost} to fit; 0 if it fits now. */
    long wait(Limit.Quota quota, long now, int cost) {
      long current = now / quota.bucketMicros();
      long need = count(quota, now) + cost - quota.quota();
      for (long bucket = current - Limit.WINDOW_BUCKETS; need > 0 && bucket <= current; bucket++) {
        int slot = (int) Math.floorMod(bucket, (long) SLOTS);
        if (index[slot] == bucket) need -= count[slot];
        if (need <= 0) return expiry(quota, bucket, now);
      }
      return 0;
    }

    long reset(Limit.Quota quota, long now) {
      long current = now / quota.bucketMicros();
      for (long bucket = current - Limit.WINDOW_BUCKETS; bucket <= current; bucket++) {
        int slot = (int) Math.floorMod(bucket, (long) SLOTS);
        if (index[slot] == bucket && count[slot] > 0) return expiry(quota, bucket, now);
      }
      return 0;
    }

    /** When {@code bucket} stops counting. */
    private static long expiry(Limit.Quota quota, long bucket, long now) {
      return (bucket + Limit.WINDOW_BUCKETS + 1) * quota.bucketMicros() - now;
    }
  }
}
