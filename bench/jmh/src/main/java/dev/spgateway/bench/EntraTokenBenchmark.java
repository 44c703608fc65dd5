package dev.spgateway.bench;

import dev.spgateway.identity.ApiKeys;
import dev.spgateway.identity.Caller;
import dev.spgateway.identity.EntraAuthenticator;
import dev.spgateway.identity.EntraCallerConfig;
import dev.spgateway.identity.EntraTokenConfig;
import dev.spgateway.sandbox.EntraStandIn;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.net.URI;
import java.time.Clock;
import java.util.List;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Identifying a caller by its Entra ID token, warm: the token was checked once (signature, claims) and is
 * remembered by its SHA-256, so each request costs a hash of the Authorization value and a cache lookup.
 * Compare with {@link ApiKeyBenchmark}. The keys come from the sandbox's Entra ID stand-in over loopback HTTP.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class EntraTokenBenchmark {

  private static final String TENANT = "72f988bf-0000-4000-8000-2d7cd011db47";
  private static final String SCRIPT = "c0ffee00-0000-4000-8000-000000000001";

  private Vertx vertx;
  private EntraAuthenticator authenticator;
  private String authorization;

  @Setup
  public void setUp() throws Exception {
    vertx = Vertx.vertx();
    EntraStandIn entra = await(new EntraStandIn(vertx).registerApp(TENANT, SCRIPT, "unused", "Gateway.Call").start());
    authenticator = await(EntraAuthenticator.start(vertx, WebClient.create(vertx), URI.create(entra.baseUrl()),
        new EntraTokenConfig(List.of(TENANT), List.of("api://sp-gateway"), null),
        Map.of("nightly-report", new EntraCallerConfig(SCRIPT, null, List.of("Gateway.Call"))), Clock.systemUTC()));
    JsonObject claims = entra.appTokenClaims(TENANT, SCRIPT, "api://sp-gateway")
        .put("roles", new JsonArray().add("Gateway.Call"));
    authorization = "Bearer " + entra.sign(new JsonObject().put("typ", "JWT").put("alg", "RS256")
        .put("kid", entra.currentKid()), claims);
    Caller first = await(authenticator.authenticate(authorization)); // the full check, once
    if (!first.name().equals("nightly-report")) throw new IllegalStateException("not identified: " + first);
  }

  @TearDown
  public void tearDown() throws Exception {
    authenticator.close();
    await(vertx.close());
  }

  @Benchmark
  public Caller identifyWarm() {
    return authenticator.authenticate(authorization).result();
  }

  /** The part of the warm path that grows with the token: SHA-256 of the Authorization value (~1.3 KB). */
  @Benchmark
  public byte[] hashOnly() {
    return ApiKeys.sha256(authorization);
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
