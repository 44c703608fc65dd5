package dev.spgateway.listener;

import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What bounds the callers' connections, so file descriptors cannot be held open for nothing: a cap on open
 * connections, a deadline for a complete request head, an idle limit between requests, and a body that must keep
 * coming once it is read. Requests refused here (and those the HTTP decoder refuses) are reported to
 * {@link Refusals}. One guard serves every copy of the listener: its connection count is shared.
 */
public final class ConnectionGuard {

  private static final String PROBLEM_TYPE_PREFIX = "urn:sp-gateway:problem:";

  private final Vertx vertx;
  private final ListenerConfig config;
  private final Refusals refusals;
  private final AtomicInteger open = new AtomicInteger();
  private final Map<HttpConnection, State> states = new ConcurrentHashMap<>();

  /**
   * One connection's state; touched only on its event loop. Its one timer is not moved by every request (two timer
   * operations per request cost more than the check): when it fires, it looks at how long the connection has been
   * idle, and closes it or sets itself again for the time left.
   */
  private static final class State {
    long timer = -1;
    int underWay;
    boolean overCap;
    /** No request head has been completed on this connection yet: requestHeaderTimeout applies, not idleTimeout. */
    boolean awaitingFirstHead = true;
    /** When the connection opened, or its last response ended (System.nanoTime()). */
    long idleSince = System.nanoTime();
  }

  public ConnectionGuard(Vertx vertx, ListenerConfig config, Refusals refusals) {
    this.vertx = vertx;
    this.config = config;
    this.refusals = refusals;
  }

  /** Open connections now. */
  public int openConnections() {
    return open.get();
  }

  void connected(HttpConnection connection) {
    State state = new State();
    states.put(connection, state);
    state.overCap = open.incrementAndGet() > config.maxConnections();
    connection.closeHandler(closed -> {
      open.decrementAndGet();
      cancel(state);
      states.remove(connection);
    });
    arm(connection, state, config.requestHeaderTimeout().toNanos());
  }

  /** A request head is complete: from now on the idle limit applies, counted from when nothing is under way. */
  void request(HttpServerRequest request, Handler<HttpServerRequest> next) {
    HttpConnection connection = request.connection();
    State state = states.get(connection);
    if (state == null) {
      next.handle(request);
      return;
    }
    state.awaitingFirstHead = false;
    state.underWay++;
    request.response().bodyEndHandler(ended -> {
      if (--state.underWay == 0) state.idleSince = System.nanoTime();
    });
    if (state.overCap) {
      refuse(request, 503, "too-many-connections", "the gateway has " + config.maxConnections()
          + " connections open (listener.maxConnections); try again shortly, on a connection of its own");
      return;
    }
    next.handle(request);
  }

  /** A request Vert.x could not decode: 414, 431 or 400, as Vert.x would answer, but with a problem and a record. */
  void invalid(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    if (cause instanceof TooLongHttpLineException) {
      refuse(request, 414, "target-too-long", "the request line is longer than the gateway accepts; shorten the URL");
    } else if (cause instanceof TooLongHttpHeaderException) {
      refuse(request, 431, "headers-too-large", "the request's headers are larger than the gateway accepts");
    } else {
      refuse(request, 400, "malformed-request", "the request is not well-formed HTTP/1.1"
          + (cause == null ? "" : " (" + cause.getClass().getSimpleName() + ")"));
    }
  }

  /**
   * Starts watching a request's body, once the gateway reads it: when no new byte has come for
   * {@code bodyTimeout}, {@code onStall} answers the request (408, with {@code Connection: close}); should the
   * connection still be open another {@code bodyTimeout} later, it is closed.
   */
  public void watchBody(HttpServerRequest request, Handler<String> onStall) {
    if (request.isEnded()) return;
    long period = config.bodyTimeout().toMillis();
    long[] seen = {request.bytesRead()};
    vertx.setPeriodic(period, period, timer -> {
      if (request.isEnded() || request.response().closed()) {
        vertx.cancelTimer(timer);
        return;
      }
      long now = request.bytesRead();
      if (now > seen[0]) {
        seen[0] = now;
        return;
      }
      vertx.cancelTimer(timer);
      if (request.version() != HttpVersion.HTTP_2 && !request.response().headWritten()) {
        request.response().putHeader("connection", "close");
      }
      onStall.handle("no byte of the request body came for " + config.bodyTimeout().toSeconds()
          + " s (listener.bodyTimeout); send the body without pausing");
      vertx.setTimer(period, late -> request.connection().close());
    });
  }

  /** Checks the connection in {@code nanos}: closes it if it has been idle too long, or looks again when it would be. */
  private void arm(HttpConnection connection, State state, long nanos) {
    state.timer = vertx.setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos)), fired -> {
      state.timer = -1;
      long limit = (state.awaitingFirstHead ? config.requestHeaderTimeout() : config.idleTimeout()).toNanos();
      long left = state.underWay > 0 ? limit : limit - (System.nanoTime() - state.idleSince);
      if (left > 0) {
        arm(connection, state, left);
        return;
      }
      if (state.awaitingFirstHead) {
        // Nothing can be answered to a head that is not complete; the record says who it was.
        refusals.refused(peer(connection), null, null, 408, "request-header-timeout", "no complete request head within "
            + config.requestHeaderTimeout().toSeconds() + " s of connecting (listener.requestHeaderTimeout)");
      }
      connection.close();
    });
  }

  private void cancel(State state) {
    if (state.timer >= 0) vertx.cancelTimer(state.timer);
    state.timer = -1;
  }

  private void refuse(HttpServerRequest request, int status, String type, String reason) {
    String requestId = refusals.refused(peer(request.connection()), request.method() == null ? null
        : request.method().name(), request.uri(), status, type, reason);
    HttpServerResponse response = request.response();
    if (response.ended() || response.closed()) return;
    response.setStatusCode(status).putHeader("content-type", "application/problem+json");
    if (requestId != null) response.putHeader("client-request-id", requestId);
    if (request.version() != HttpVersion.HTTP_2) response.putHeader("connection", "close");
    if (status == 503) response.putHeader("retry-after", "1");
    JsonObject problem = new JsonObject().put("type", PROBLEM_TYPE_PREFIX + type).put("status", status)
        .put("detail", reason).put("requestId", requestId);
    response.end(problem.toBuffer()).onComplete(done -> request.connection().close());
  }

  private static String peer(HttpConnection connection) {
    var address = connection.remoteAddress();
    return address == null ? "unknown" : address.host() + ":" + address.port();
  }
}
