package dev.spgateway.bench;

import dev.spgateway.identity.ApiKeyAuthenticator;
import dev.spgateway.identity.ApiKeyConfig;
import dev.spgateway.identity.ApiKeys;
import dev.spgateway.identity.EntraAuthenticator;
import dev.spgateway.identity.EntraCallerConfig;
import dev.spgateway.identity.EntraTokenConfig;
import dev.spgateway.sandbox.EntraStandIn;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * CPU time per identification, key vs a known Entra ID token, measured as this thread's CPU time: unlike JMH's
 * wall-clock figures it stays meaningful on a machine busy with other work. Run with
 * {@code java -cp bench/jmh/target/benchmarks.jar dev.spgateway.bench.IdentifyCpuTime}.
 */
public final class IdentifyCpuTime {

  private static final int CALLS = 1_000_000;
  static volatile Object sink;

  public static void main(String[] args) throws Exception {
    Vertx vertx = Vertx.vertx();
    String tenant = "72f988bf-0000-4000-8000-2d7cd011db47";
    String app = "c0ffee00-0000-4000-8000-000000000001";
    EntraStandIn entra = new EntraStandIn(vertx).registerApp(tenant, app, "unused", "Gateway.Call").start()
        .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    EntraAuthenticator tokens = EntraAuthenticator.start(vertx, WebClient.create(vertx), URI.create(entra.baseUrl()),
            new EntraTokenConfig(List.of(tenant), List.of("api://sp-gateway"), null),
            Map.of("nightly-report", new EntraCallerConfig(app, null, List.of("Gateway.Call"))), Clock.systemUTC())
        .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    String authorization = "Bearer " + entra.sign(new JsonObject().put("typ", "JWT").put("alg", "RS256")
        .put("kid", entra.currentKid()), entra.appTokenClaims(tenant, app, "api://sp-gateway")
        .put("roles", new JsonArray().add("Gateway.Call")));
    tokens.authenticate(authorization).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    String key = ApiKeys.generate();
    ApiKeyAuthenticator keys = new ApiKeyAuthenticator(Map.of("invoice-flow", new ApiKeyConfig(ApiKeys.sha256Hex(key))));

    System.out.printf("token: %d characters; %,d calls each per round%n", authorization.length() - 7, CALLS);
    ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
    for (int round = 1; round <= 5; round++) { // the first rounds warm up the JIT
      long start = cpu.getCurrentThreadCpuTime();
      for (int i = 0; i < CALLS; i++) sink = keys.authenticate(key);
      long keyDone = cpu.getCurrentThreadCpuTime();
      for (int i = 0; i < CALLS; i++) sink = tokens.authenticate(authorization).result();
      long tokenDone = cpu.getCurrentThreadCpuTime();
      System.out.printf("round %d: API key %.3f µs, Entra ID token (known) %.3f µs, difference %+.3f µs CPU per call%n",
          round, (keyDone - start) / 1e3 / CALLS, (tokenDone - keyDone) / 1e3 / CALLS,
          ((tokenDone - keyDone) - (keyDone - start)) / 1e3 / CALLS);
    }
    tokens.close();
    vertx.close();
  }
}
