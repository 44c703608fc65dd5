package dev.spgateway.sandbox;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/** What every stand-in shares: a loopback HTTP server, request recording and JSON replies. */
final class StandInHttp {

  private static final int BODY_LIMIT_BYTES = 1024 * 1024;

  private final Vertx vertx;
  private final int requestedPort;
  private final List<ReceivedRequest> received = new CopyOnWriteArrayList<>();
  private volatile HttpServer server;

  StandInHttp(Vertx vertx, int requestedPort) {
    this.vertx = vertx;
    this.requestedPort = requestedPort;
  }

  /** A router that already buffers bodies and records each request before the routes see it. */
  Router newRouter() {
    Router router = Router.router(vertx);
    router.route().handler(BodyHandler.create(false).setBodyLimit(BODY_LIMIT_BYTES));
    router.route().handler(this::record);
    return router;
  }

  Future<Void> listen(Router router) {
    return vertx
        .createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(requestedPort))
        .requestHandler(router)
        .listen()
        .map(listening -> {
          server = listening;
          return null;
        });
  }

  Future<Void> close() {
    HttpServer current = server;
    return current == null ? Future.succeededFuture() : current.close();
  }

  int port() {
    HttpServer current = server;
    if (current == null) {
      throw new IllegalStateException("not started");
    }
    return current.actualPort();
  }

  String baseUrl() {
    return "http://127.0.0.1:" + port();
  }

  List<ReceivedRequest> received() {
    return List.copyOf(received);
  }

  int requestCount() {
    return received.size();
  }

  private void record(RoutingContext ctx) {
    HttpServerRequest req = ctx.request();
    Buffer body = ctx.body().buffer();
    received.add(new ReceivedRequest(
        req.method().name(),
        req.uri(),
        MultiMap.caseInsensitiveMultiMap().addAll(req.headers()),
        body == null ? Buffer.buffer() : body.copy()));
    ctx.next();
  }

  static String newGuid() {
    return UUID.randomUUID().toString();
  }

  /** The token of an {@code Authorization: Bearer ...} header, or null when there is none. */
  static String bearerToken(HttpServerRequest req) {
    String authorization = req.getHeader("Authorization");
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    String token = authorization.substring(7).trim();
    return token.isEmpty() ? null : token;
  }

  /** The request body as a JSON object, or null when it is empty, not JSON, or not an object. */
  static JsonObject jsonObjectBody(RoutingContext ctx) {
    Buffer body = ctx.body().buffer();
    if (body == null || body.length() == 0) return null;
    try {
      return new JsonObject(body);
    } catch (DecodeException | ClassCastException notAnObject) {
      return null;
    }
  }

  static void sendJson(RoutingContext ctx, int status, String contentType, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", contentType).end(body.encode());
  }
}
