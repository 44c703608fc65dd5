package dev.spgateway.bench;

import dev.spgateway.identity.ApiKeyAuthenticator;
import dev.spgateway.identity.ApiKeyConfig;
import dev.spgateway.identity.ApiKeys;
import java.util.Map;
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

/** Identifying a caller by its key: one SHA-256 and a map lookup. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ApiKeyBenchmark {

  private ApiKeyAuthenticator authenticator;
  private String key;

  @Setup
  public void setUp() {
    key = ApiKeys.generate();
    authenticator = new ApiKeyAuthenticator(Map.of("flow", new ApiKeyConfig(ApiKeys.sha256Hex(key))));
  }

  @Benchmark
  public Object identify() {
    return authenticator.authenticate(key);
  }
}
