package dev.spgateway.ratelimit;

/**
 * One budget a request is counted against. {@link #name()} is what the caller is told when it runs out
 * ({@code caller-rate}); {@link #key()} is where its state lives, in memory or in Redis.
 */
public sealed interface Limit {

  /** A rolling window is kept as this many buckets; the one under way is counted too (see {@link Quota}). */
  int WINDOW_BUCKETS = 24;

  String name();

  String key();

  /** The most one request may cost: a larger one can never pass. */
  long capacity();

  /** This limit as an item of the {@code RateLimit-Policy} header: quota and window in seconds. */
  String policy();

  /** The part of this limit one of {@code replicas} gateways may spend on its own (at least one request). */
  Limit share(int replicas);

  /**
   * A sustained rate with a burst, by the generic cell rate algorithm (GCRA): the state is one number,
   * the theoretical arrival time of the next request. {@code burst} may come at once after a quiet
   * spell; after that one per {@code intervalMicros}.
   */
  record Rate(String name, String key, long intervalMicros, int burst) implements Limit {

    static Rate perSecond(String name, String key, double perSecond, int burst) {
      return new Rate(name, key, Math.round(1_000_000 / perSecond), burst);
    }

    @Override
    public long capacity() {
      return burst;
    }

    @Override
    public Rate share(int replicas) {
      return new Rate(name, key, intervalMicros * replicas, Math.max(1, burst / replicas));
    }

    @Override
    public String policy() {
      return "\"" + name + "\";q=" + burst + ";w=" + Math.max(1, ceilSeconds(burst * intervalMicros));
    }
  }

  /**
   * At most {@code quota} requests per rolling window, counted in {@link #WINDOW_BUCKETS} buckets of
   * {@code window / WINDOW_BUCKETS} (an hour for a day). The bucket under way counts too, so a request
   * stops counting between one window and one window plus a bucket after it was made: never more than
   * {@code quota} in any window, at the price of up to a bucket's delay.
   */
  record Quota(String name, String key, long quota, long windowMicros) implements Limit {

    static final long DAY_MICROS = 86_400_000_000L;

    long bucketMicros() {
      return windowMicros / WINDOW_BUCKETS;
    }

    @Override
    public long capacity() {
      return quota;
    }

    @Override
    public Quota share(int replicas) {
      return new Quota(name, key, Math.max(1, quota / replicas), windowMicros);
    }

    @Override
    public String policy() {
      return "\"" + name + "\";q=" + quota + ";w=" + ceilSeconds(windowMicros);
    }
  }

  static long ceilSeconds(long micros) {
    return (micros + 999_999) / 1_000_000;
  }
}
