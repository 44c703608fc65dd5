package dev.spgateway.admin;

import dev.spgateway.audit.AuditApi;
import dev.spgateway.audit.AuditConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Health and metrics, on a port of their own so they can be kept off the network callers use.
 * {@code /health/live}: the process answers. {@code /health/ready}: secrets are loaded and the
 * listener is up. {@code /metrics}: Prometheus text format. {@code /audit/records}: the audit log, for
 * audit readers only ({@link AuditApi}).
 */
public final class AdminServer {

  private final Vertx vertx;
  private final PrometheusMeterRegistry registry;
  private final BooleanSupplier ready;
  private final AuditConfig audit;
  private final Supplier<AuditApi.Readers> auditReaders;
  private HttpServer server;

  public AdminServer(Vertx vertx, PrometheusMeterRegistry registry, BooleanSupplier ready, AuditConfig audit,
      Supplier<AuditApi.Readers> auditReaders) {
    this.vertx = vertx;
    this.registry = registry;
    this.ready = ready;
    this.audit = audit;
    this.auditReaders = auditReaders;
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
    router.get(AuditApi.PATH).handler(new AuditApi(vertx, audit, auditReaders));
    return vertx.createHttpServer().requestHandler(router).listen(config.port(), config.host())
        .onSuccess(listening -> server = listening);
  }

  public Future<Void> close() {
    return server == null ? Future.succeededFuture() : server.close();
  }
}
