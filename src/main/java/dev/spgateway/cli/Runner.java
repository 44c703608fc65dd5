package dev.spgateway.cli;

import dev.spgateway.config.ConfigLoader;
import dev.spgateway.gateway.Gateway;
import dev.spgateway.gateway.LiveConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import picocli.CommandLine.Model.CommandSpec;
import sun.misc.Signal;

/**
 * Starts something on a fresh Vert.x, keeps the process alive, re-reads its config on SIGHUP, and shuts it down
 * cleanly on SIGTERM.
 */
final class Runner {

  private Runner() {}

  /** A started thing that can be stopped, and told to re-read its config (SIGHUP). */
  interface Running {
    Future<Void> close();

    default void reload() {}
  }

  /** A gateway on {@code file}, kept on it: re-read on SIGHUP and, with {@code watch}, when the file changes. */
  static Future<Running> startGateway(Vertx vertx, Path file, ConfigLoader loader, ConfigLoader.Loaded loaded,
      boolean watch) {
    return Gateway.start(vertx, loaded.config(), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))
        .compose(gateway -> vertx.executeBlocking(() -> LiveConfig.start(gateway, file, loader, loaded.sha256(), watch))
            .recover(failure -> gateway.close().transform(closed -> Future.failedFuture(failure)))
            .map(live -> new Running() {
              @Override
              public Future<Void> close() {
                live.close();
                return gateway.close();
              }

              @Override
              public void reload() {
                live.reload(LiveConfig.SIGNAL);
              }
            }));
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
    // SIGHUP: re-read the config (the JVM's default for it would stop the process).
    try {
      Signal.handle(new Signal("HUP"), signal -> running.reload());
    } catch (IllegalArgumentException noSighup) {
      spec.commandLine().getErr().println("SIGHUP is not available here; the config is re-read when its file changes");
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
