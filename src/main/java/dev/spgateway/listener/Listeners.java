package dev.spgateway.listener;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Builds the callers' listener from its {@link ListenerConfig}: the one place its server options and guards are
 * chosen, so each copy of the listener (one per event loop) is the same. Copies share one {@link ConnectionGuard},
 * so the connection cap counts them all.
 */
public final class Listeners {

  /**
   * Port 0 asks for a random port. Vert.x shares a random port among servers that listen on the same negative
   * number, so each listener gets its own (two gateways in one process must not share one).
   */
  private static final AtomicInteger RANDOM_PORT_GROUPS = new AtomicInteger();

  private Listeners() {}

  /** The server options for {@code config}. */
  public static HttpServerOptions options(ListenerConfig config) {
    return new HttpServerOptions()
        .setCompressionSupported(false)
        // The gateway carries no WebSockets: without these Netty's extension handler looks at every request.
        .setPerFrameWebSocketCompressionSupported(false)
        .setPerMessageWebSocketCompressionSupported(false)
        .setHttp2ClearTextEnabled(config.h2c())
        // Vert.x answers Expect: 100-continue only when the pipeline has judged the request.
        .setHandle100ContinueAutomatically(false);
  }

  /** A listener for {@code config} whose requests go to {@code handler}, guarded by {@code guard}; not yet listening. */
  public static HttpServer create(Vertx vertx, ListenerConfig config, ConnectionGuard guard,
      Handler<HttpServerRequest> handler) {
    return vertx.createHttpServer(options(config))
        .connectionHandler(guard::connected)
        .invalidRequestHandler(guard::invalid)
        .requestHandler(request -> guard.request(request, handler));
  }

  /**
   * Opens the listener on {@code config.eventLoops()} event loops, all on one port: Vert.x deploys one copy per
   * loop and hands each accepted connection to the next copy in turn, and a connection's requests stay on its
   * loop. {@code handlers} is asked once per copy, on that copy's loop, so what it builds belongs to the loop.
   */
  public static Future<Listener> deploy(Vertx vertx, ListenerConfig config, ConnectionGuard guard,
      Supplier<Handler<HttpServerRequest>> handlers) {
    int port = config.port() == 0 ? -RANDOM_PORT_GROUPS.incrementAndGet() : config.port();
    AtomicInteger actualPort = new AtomicInteger();
    Supplier<VerticleBase> copy = () -> new VerticleBase() {
      @Override
      public Future<?> start() {
        return create(vertx, config, guard, handlers.get()).listen(port, config.host())
            .onSuccess(server -> actualPort.compareAndSet(0, server.actualPort()));
      }
    };
    return vertx.deployVerticle(copy, new DeploymentOptions().setInstances(config.eventLoops()))
        .map(deployment -> new Listener(vertx, deployment, actualPort.get()));
  }

  /** The listener's copies, deployed together; {@link #close()} closes them and their connections. */
  public record Listener(Vertx vertx, String deployment, int port) {

    public Future<Void> close() {
      return vertx.undeploy(deployment);
    }
  }
}
