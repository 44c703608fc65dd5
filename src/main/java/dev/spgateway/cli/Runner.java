package dev.spgateway.cli;

import dev.spgateway.config.ConfigLoader;
import dev.spgateway.gateway.Gateway;
import dev.spgateway.gateway.LiveConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import picocli.CommandLine.Model.CommandSpec;

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
   * Starts, then returns {@link Main#KEEP_RUNNING}: Vert.x's threads keep the process up. SIGTERM or Ctrl-C
   * stops it cleanly (requests under way finish, every audit record is written) and exits 0, as process
   * supervisors expect of a requested stop; 1 if the stop did not complete cleanly.
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
    if (!onSignal("HUP", running::reload)) {
      spec.commandLine().getErr().println("SIGHUP is not available here; the config is re-read when its file changes");
    }
    Stop stop = new Stop(vertx, running);
    // The JVM's default for these signals runs the shutdown hooks and exits 143 / 130; a requested stop is a success.
    for (String signal : List.of("TERM", "INT")) onSignal(signal, stop::thenExit);
    // Any other way out (System.exit elsewhere) still stops cleanly.
    Runtime.getRuntime().addShutdownHook(new Thread(stop::run, "shutdown"));
    return Main.KEEP_RUNNING;
  }

  /**
   * Runs {@code action} on each signal {@code name} (HUP, TERM, INT); false where the platform has none.
   * {@code sun.misc.Signal} (module jdk.unsupported, the only way to catch a signal in Java) is reached by
   * reflection because javac warns about every direct use of it, and the build is kept free of warnings.
   */
  static boolean onSignal(String name, Runnable action) {
    try {
      Class<?> signal = Class.forName("sun.misc.Signal");
      Class<?> handler = Class.forName("sun.misc.SignalHandler");
      Object onSignal = java.lang.reflect.Proxy.newProxyInstance(handler.getClassLoader(), new Class<?>[] {handler},
          (proxy, method, args) -> switch (method.getName()) {
            case "handle" -> {
              action.run();
              yield null;
            }
            case "hashCode" -> System.identityHashCode(proxy);
            case "equals" -> proxy == args[0];
            default -> "SIG" + name + " handler";
          });
      signal.getMethod("handle", signal, handler).invoke(null, signal.getConstructor(String.class).newInstance(name),
          onSignal);
      return true;
    } catch (java.lang.reflect.InvocationTargetException e) {
      if (e.getCause() instanceof IllegalArgumentException) return false; // no such signal on this platform
      throw new IllegalStateException("cannot install the SIG" + name + " handler", e.getCause());
    } catch (ReflectiveOperationException e) {
      return false; // a runtime without jdk.unsupported
    }
  }

  /** Stops once, whoever asks first; later callers wait for the same outcome. */
  private static final class Stop {
    private final Vertx vertx;
    private final Running running;
    private final AtomicBoolean started = new AtomicBoolean();
    private final CompletableFuture<Boolean> clean = new CompletableFuture<>();

    Stop(Vertx vertx, Running running) {
      this.vertx = vertx;
      this.running = running;
    }

    void thenExit() {
      // Not on the signal dispatcher's thread: System.exit waits for shutdown hooks, which wait for this stop.
      Thread exit = new Thread(() -> System.exit(run() ? 0 : 1), "stop");
      exit.start();
    }

    boolean run() {
      if (started.compareAndSet(false, true)) {
        running.close().eventually(vertx::close).onComplete(closed -> {
          if (closed.failed()) System.err.println("sp-gateway did not stop cleanly: " + closed.cause());
          clean.complete(closed.succeeded());
        });
      }
      try {
        return clean.get(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
        System.err.println("sp-gateway did not stop within 30 s");
        return false;
      }
    }
  }
}
