package dev.spgateway.bench;

import dev.spgateway.ratelimit.Limit;
import dev.spgateway.ratelimit.RateLimitConfig;
import dev.spgateway.ratelimit.RedisBudgetStore;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * What the Redis path adds to a request: the time of one budget decision against Redis (one EVALSHA
 * round trip), one at a time from an event loop, as a request would wait for it. Prints percentiles in µs.
 *
 * <pre>java -cp bench/jmh/target/benchmarks.jar dev.spgateway.bench.RedisDecisionLatency redis://127.0.0.1:6379 [count]</pre>
 */
public final class RedisDecisionLatency {

  private static final long DAY = 86_400_000_000L;

  public static void main(String[] args) throws Exception {
    URI url = URI.create(args[0]);
    int count = args.length > 1 ? Integer.parseInt(args[1]) : 50_000;
    int warmup = count / 5;
    Vertx vertx = Vertx.vertx();
    var store = new RedisBudgetStore(vertx, new RateLimitConfig.Redis(url, Duration.ofSeconds(1), null));
    List<Limit> limits = List.of(
        new Limit.Rate("caller-rate", "bench:rate", 1, 1_000_000),
        new Limit.Quota("caller-day", "bench:day", Long.MAX_VALUE / 4, DAY),
        new Limit.Quota("service-principal-day", "bench:sp-day", Long.MAX_VALUE / 4, DAY));
    long[] nanos = new long[count];
    Promise<Void> done = Promise.promise();
    vertx.runOnContext(go -> next(store, limits, nanos, -warmup, done));
    done.future().toCompletionStage().toCompletableFuture().get();
    vertx.close().toCompletionStage().toCompletableFuture().get();
    Arrays.sort(nanos);
    System.out.printf("Redis decision, %d sequential calls after %d warm-up, %s: p50 %.1f µs, p99 %.1f µs,"
        + " p99.9 %.1f µs, max %.1f µs%n", count, warmup, url.getHost() + ":" + url.getPort(),
        at(nanos, 0.50), at(nanos, 0.99), at(nanos, 0.999), nanos[count - 1] / 1000.0);
  }

  /** Calls one after another; negative indexes are warm-up and are not recorded. */
  private static void next(RedisBudgetStore store, List<Limit> limits, long[] nanos, int index, Promise<Void> done) {
    if (index == nanos.length) {
      done.complete();
      return;
    }
    long start = System.nanoTime();
    Future<?> decision = store.take("bench:hold", limits, 1, 1_800_000_000_000_000L + index + nanos.length);
    decision.onComplete(result -> {
      if (result.failed()) {
        done.fail(result.cause());
        return;
      }
      if (index >= 0) nanos[index] = System.nanoTime() - start;
      next(store, limits, nanos, index + 1, done);
    });
  }

  private static double at(long[] sorted, double quantile) {
    return sorted[(int) Math.min(sorted.length - 1, Math.ceil(quantile * sorted.length) - 1)] / 1000.0;
  }
}
