package dev.spgateway.bench;

import dev.spgateway.ratelimit.Limit;
import dev.spgateway.ratelimit.RateLimitConfig;
import dev.spgateway.ratelimit.RedisBudgetStore;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * What the Redis path adds to a request: the time of one budget decision against Redis (one EVALSHA
 * round trip), one at a time from an event loop, as a request would wait for it; and, for scale, a bare
 * {@code PING} round trip measured the same way. Prints percentiles in µs.
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
    Redis ping = Redis.createClient(vertx, url.toString());
    long[] clock = {1_800_000_000_000_000L};
    report("PING round trip", measure(vertx, count, warmup, () -> ping.send(Request.cmd(Command.PING))), url);
    report("budget decision", measure(vertx, count, warmup, () -> store.take("bench:hold", limits, 1, clock[0]++)), url);
    vertx.close().toCompletionStage().toCompletableFuture().get();
  }

  private static long[] measure(Vertx vertx, int count, int warmup, Supplier<Future<?>> call) throws Exception {
    long[] nanos = new long[count];
    Promise<Void> done = Promise.promise();
    vertx.runOnContext(go -> next(call, nanos, -warmup, done));
    done.future().toCompletionStage().toCompletableFuture().get();
    Arrays.sort(nanos);
    return nanos;
  }

  private static void report(String what, long[] sorted, URI url) {
    System.out.printf("%s, %d sequential calls, %s: p50 %.1f µs, p99 %.1f µs, p99.9 %.1f µs, max %.1f µs%n", what,
        sorted.length, url.getHost() + ":" + url.getPort(), at(sorted, 0.50), at(sorted, 0.99), at(sorted, 0.999),
        sorted[sorted.length - 1] / 1000.0);
  }

  /** Calls one after another; negative indexes are warm-up and are not recorded. */
  private static void next(Supplier<Future<?>> call, long[] nanos, int index, Promise<Void> done) {
    if (index == nanos.length) {
      done.complete();
      return;
    }
    long start = System.nanoTime();
    call.get().onComplete(result -> {
      if (result.failed()) {
        done.fail(result.cause());
        return;
      }
      if (index >= 0) nanos[index] = System.nanoTime() - start;
      next(call, nanos, index + 1, done);
    });
  }

  private static double at(long[] sorted, double quantile) {
    return sorted[(int) Math.min(sorted.length - 1, Math.ceil(quantile * sorted.length) - 1)] / 1000.0;
  }
}
