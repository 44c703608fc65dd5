package dev.spgateway.cli;

import dev.spgateway.config.GatewayConfig;
import dev.spgateway.gateway.Gateway;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import picocli.CommandLine.Model.CommandSpec;

/** Starts something on a fresh Vert.x, keeps the process alive, and shuts it down cleanly on SIGTERM. */
final class Runner {

  private Runner() {}

  /** A started thing that can be stopped. */
  interface Running {
    Future<Void> close();
  }

  static Future<Running> startGateway(Vertx vertx, GatewayConfig config) {
    return Gateway.start(vertx, config, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)).map(g -> g::close);
  }

  /**
   * Starts, then returns {@link Main#KEEP_RUNNING}: Vert.x's threads keep the process up, and a shutdown
   * hook stops it cleanly (every audit record written) on SIGTERM or Ctrl-C.
   */
  static int runUntilStopped(CommandSpec spec, Function<Vertx, Future<? extends Running>> start)
      throws InterruptedException {
    Vertx vertx = Vertx.vertx(Gateway.vertxOptions());
    Running running;
    try {
      running = start.apply(vertx).toCompletionStage().toCompletableFuture().get();
    } catch (ExecutionException e) {
      spec.commandLine().getErr().println("sp-gateway did not start: " + e.getCause().getMessage());
      vertx.close();
      return Main.START_FAILED;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      CompletableFuture<Void> closed = running.close().eventually(vertx::close).toCompletionStage().toCompletableFuture();
      try {
        closed.get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        System.err.println("sp-gateway did not stop cleanly: " + e);
      }
    }, "shutdown"));
    return Main.KEEP_RUNNING;
  }
}
