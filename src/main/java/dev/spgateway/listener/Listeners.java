package dev.spgateway.listener;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;

/**
 * Builds the callers' listener from its {@link ListenerConfig}: the one place its server options and guards are
 * chosen, so each copy of the listener (one per event loop, later) is the same. Copies share one
 * {@link ConnectionGuard}, so the connection cap counts them all.
 */
public final class Listeners {

  private Listeners() {}

  /** The server options for {@code config}. */
  public static HttpServerOptions options(ListenerConfig config) {
    return new HttpServerOptions()
        .setCompressionSupported(false)
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
}
