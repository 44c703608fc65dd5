package dev.spgateway.admin;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.util.function.BooleanSupplier;

/**
 * Health and metrics, on a port of their own so they can be kept off the network callers use.
 * {@code /health/live}: the process answers. {@code /health/ready}: secrets are loaded and the
 * listener is up. {@code /metrics}: Prometheus text format.
 */
public final class AdminServer {

  private final Vertx vertx;
  private final PrometheusMeterRegistry registry;
  private final BooleanSupplier ready;
  private HttpServer server;

  public AdminServer(Vertx vertx, PrometheusMeterRegistry registry, BooleanSupplier ready) {
    this.vertx = vertx;
    this.registry = registry;
    this.ready = ready;
  }

  public Future<HttpServer> listen(AdminConfig config) {
    Router router = Router.router(vertx);
    router.get("/health/live").handler(ctx -> ctx.json(new JsonObject().put("status", "UP")));
    router.get("/health/ready").handler(ctx -> {
      boolean up = ready.getAsBoolean();
      ctx.response().setStatusCode(up ? 200 : 503);
      ctx.json(new JsonObject().put("status", up ? "UP" : "DOWN"));
    });
    router.get("/metrics").handler(ctx -> ctx.response()
        .putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8")
        .end(registry.scrape()));
    return vertx.createHttpServer().requestHandler(router).listen(config.port(), config.host())
        .onSuccess(listening -> server = listening);
  }

  public Future<Void> close() {
    return server == null ? Future.succeededFuture() : server.close();
  }
}
