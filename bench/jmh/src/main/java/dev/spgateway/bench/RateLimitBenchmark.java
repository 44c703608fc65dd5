package dev.spgateway.bench;

import dev.spgateway.ratelimit.Limit;
import dev.spgateway.ratelimit.LocalBudgetStore;
import dev.spgateway.ratelimit.Verdict;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One local budget decision as the gateway makes it for a caller with all three limits (rate with burst,
 * caller day, service principal day), the clock moving 1 µs per call; budgets large enough never to refuse.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RateLimitBenchmark {

  private static final long DAY = 86_400_000_000L;

  private LocalBudgetStore store;
  private List<Limit> limits;
  private long now = 1_800_000_000_000_000L;

  @Setup
  public void setUp() {
    store = new LocalBudgetStore();
    limits = List.of(
        new Limit.Rate("caller-rate", "rate:invoice-flow", 1, 1_000_000),
        new Limit.Quota("caller-day", "day:invoice-flow", Long.MAX_VALUE / 4, DAY),
        new Limit.Quota("service-principal-day", "day:finance:graph", Long.MAX_VALUE / 4, DAY));
  }

  @Benchmark
  public Verdict decide() {
    return store.decide("hold:finance:graph", limits, 1, now++);
  }
}
