package dev.spgateway.ratelimit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.http.HttpServerRequest;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test upstream that answers as Graph or Dataverse do under load: scripted 429s and 503s with
 * Retry-After, or no answer until the test releases it (to fill the concurrency cap). Token checks are
 * covered elsewhere; this one only requires a bearer token to be present.
 */
final class ThrottlingUpstream {

  private final Vertx vertx;
  private final KeyCertOptions tls;
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger connections = new AtomicInteger();
  private final Queue<int[]> scripted = new ConcurrentLinkedQueue<>();
  private final Queue<HttpServerRequest> parked = new ConcurrentLinkedQueue<>();
  private volatile boolean parking;
  private final Queue<Runnable> parkWatchers = new ConcurrentLinkedQueue<>();
  private HttpServer server;

  ThrottlingUpstream(Vertx vertx) {
    this(vertx, null);
  }

  /** Over HTTPS with {@code tls}'s certificate, or plain HTTP when it is {@code null}. */
  ThrottlingUpstream(Vertx vertx, KeyCertOptions tls) {
    this.vertx = vertx;
    this.tls = tls;
  }

  Future<ThrottlingUpstream> start() {
    HttpServerOptions options = new HttpServerOptions().setSsl(tls != null).setKeyCertOptions(tls);
    return vertx.createHttpServer(options).connectionHandler(connection -> connections.incrementAndGet())
        .requestHandler(this::handle).listen(0, "127.0.0.1").map(s -> {
      server = s;
      return this;
    });
  }

  String baseUrl() {
    return (tls == null ? "http" : "https") + "://127.0.0.1:" + server.actualPort();
  }

  /** Requests that reached this upstream. */
  int requests() {
    return requests.get();
  }

  /** Connections the gateway opened (over HTTPS: TLS handshakes). */
  int connections() {
    return connections.get();
  }

  /** The next request is answered {@code status} with {@code Retry-After: retryAfterSeconds}. */
  ThrottlingUpstream throttleNext(int status, int retryAfterSeconds) {
    scripted.add(new int[] {status, retryAfterSeconds});
    return this;
  }

  /** From now on requests wait for {@link #releaseOne()} before they are answered. */
  void park() {
    parking = true;
  }

  /** Completes once {@code count} requests are waiting here. */
  Future<Void> whenParked(int count) {
    io.vertx.core.Promise<Void> promise = io.vertx.core.Promise.promise();
    Runnable check = () -> {
      if (parked.size() >= count) promise.tryComplete();
    };
    parkWatchers.add(check);
    vertx.runOnContext(go -> check.run());
    return promise.future();
  }

  /** Answers the oldest waiting request; after the last, requests are answered at once again. */
  void releaseOne() {
    HttpServerRequest request = parked.poll();
    if (parked.isEmpty()) parking = false;
    if (request != null) vertx.runOnContext(go -> answer(request));
  }

  private void handle(HttpServerRequest request) {
    requests.incrementAndGet();
    String authorization = request.getHeader("Authorization");
    if (authorization == null || !authorization.startsWith("Bearer ")) {
      request.response().setStatusCode(401).end();
      return;
    }
    int[] script = scripted.poll();
    if (script != null) {
      request.response().setStatusCode(script[0]).putHeader("Retry-After", Integer.toString(script[1]))
          .putHeader("content-type", "application/json")
          .end("{\"error\":{\"code\":\"TooManyRequests\",\"message\":\"slow down\"}}");
    } else if (parking) {
      parked.add(request);
      parkWatchers.forEach(Runnable::run);
    } else {
      answer(request);
    }
  }

  private static void answer(HttpServerRequest request) {
    request.response().putHeader("content-type", "application/json").end("{\"value\":[]}");
  }
}
