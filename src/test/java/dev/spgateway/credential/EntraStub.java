package dev.spgateway.credential;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An Entra ID token endpoint whose answers a test chooses: real tokens are not needed where the
 * test is about failures, timing or counting, and mock-oauth2-server cannot be told to fail.
 */
final class EntraStub {

  private final HttpServer server;
  private final AtomicInteger tokensIssued = new AtomicInteger();
  final List<MultiMap> forms = new CopyOnWriteArrayList<>();
  volatile Handler<RoutingContext> answer = issuing(3600);

  private EntraStub(HttpServer server) {
    this.server = server;
  }

  static Future<EntraStub> start(Vertx vertx) {
    Router router = Router.router(vertx);
    HttpServer server = vertx.createHttpServer();
    EntraStub stub = new EntraStub(server);
    router.post("/:tenant/oauth2/v2.0/token").handler(BodyHandler.create()).handler(ctx -> {
      stub.forms.add(MultiMap.caseInsensitiveMultiMap().addAll(ctx.request().formAttributes()));
      stub.answer.handle(ctx);
    });
    return server.requestHandler(router).listen(0, "127.0.0.1").map(stub);
  }

  URI authority() {
    return URI.create("http://127.0.0.1:" + server.actualPort());
  }

  int requests() {
    return forms.size();
  }

  Future<Void> close() {
    return server.close();
  }

  /** Answers like Entra with a new token each time: token-1, token-2, ... */
  Handler<RoutingContext> issuing(long expiresIn) {
    return ctx -> ctx.json(new JsonObject()
        .put("token_type", "Bearer")
        .put("expires_in", expiresIn)
        .put("ext_expires_in", expiresIn)
        .put("access_token", "token-" + tokensIssued.incrementAndGet()));
  }

  static Handler<RoutingContext> entraError(int status, String error, long aadsts) {
    return ctx -> ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json; charset=utf-8")
        .end(new JsonObject()
            .put("error", error)
            .put("error_description", "AADSTS" + aadsts + ": Something went wrong. Trace ID: "
                + "0a1b2c3d-0000-4000-8000-00000000abcd Correlation ID: 9f8e7d6c-0000-4000-8000-00000000dcba "
                + "Timestamp: 2026-11-22 10:00:00Z")
            .put("error_codes", new JsonArray().add(aadsts))
            .put("timestamp", "2026-11-22 10:00:00Z")
            .put("trace_id", "0a1b2c3d-0000-4000-8000-00000000abcd")
            .put("correlation_id", "9f8e7d6c-0000-4000-8000-00000000dcba")
            .put("error_uri", "https://login.microsoftonline.com/error?code=" + aadsts)
            .encode());
  }

  static Handler<RoutingContext> raw(int status, String contentType, String body) {
    return ctx -> ctx.response().setStatusCode(status).putHeader("Content-Type", contentType).end(body);
  }
}
