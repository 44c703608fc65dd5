package dev.spgateway.gateway;

import dev.spgateway.sandbox.BearerVerifier;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A test upstream that checks the bearer token like a Microsoft API and then: {@code POST /echo} streams
 * the request body straight back as it arrives; {@code GET /silent} never answers. Tokens can be revoked
 * to make it answer 401, as Graph does for a token whose keys were rotated.
 */
final class EchoUpstream {

  private final Vertx vertx;
  private final BearerVerifier verifier;
  private final List<String> tokensSeen = new CopyOnWriteArrayList<>();
  private final Set<String> revoked = ConcurrentHashMap.newKeySet();
  private volatile boolean refuseAll;
  private HttpServer server;

  EchoUpstream(Vertx vertx, BearerVerifier verifier) {
    this.vertx = vertx;
    this.verifier = verifier;
  }

  Future<EchoUpstream> start() {
    return vertx.createHttpServer().requestHandler(this::handle).listen(0, "127.0.0.1").map(s -> {
      server = s;
      return this;
    });
  }

  String baseUrl() {
    return "http://127.0.0.1:" + server.actualPort();
  }

  /** Every bearer token received, in order, refused ones included. */
  List<String> tokensSeen() {
    return tokensSeen;
  }

  void revoke(String token) {
    revoked.add(token);
  }

  /** From now on every token is refused, as when the service principal lost its permission. */
  void refuseEveryToken() {
    refuseAll = true;
  }

  private void handle(HttpServerRequest request) {
    request.pause();
    String authorization = request.getHeader("Authorization");
    String token = authorization != null && authorization.startsWith("Bearer ") ? authorization.substring(7) : "";
    tokensSeen.add(token);
    if (refuseAll || revoked.contains(token)) {
      request.response().setStatusCode(401).end("{\"error\":{\"code\":\"InvalidAuthenticationToken\"}}");
      return;
    }
    verifier.verify(token).onComplete(verified -> {
      if (verified.failed()) {
        request.response().setStatusCode(401).end(verified.cause().getMessage());
      } else if (request.path().equals("/silent")) {
        request.resume(); // and never answer
      } else {
        var response = request.response().setChunked(true).putHeader("request-id", "echo-request-id");
        response.writeHead(); // headers first, so the caller sees the answer begin before its body ends
        request.handler(response::write).endHandler(end -> response.end());
        request.resume();
      }
    });
  }
}
