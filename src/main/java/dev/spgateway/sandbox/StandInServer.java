package dev.spgateway.sandbox;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.function.BiConsumer;

/** What every plain-HTTP stand-in offers: its address, its lifecycle, and what it received. */
abstract class StandInServer {

  protected final StandInHttp http;

  StandInServer(Vertx vertx, int port) {
    this.http = new StandInHttp(vertx, port);
  }

  /**
   * Checks the request's bearer token like the real API: valid → its claims go into the context as
   * {@code claims} and routing goes on; missing or invalid → {@code refuse} with the reason ({@code null} when
   * there was no token); the check itself broke (keys unreachable) → {@code broken}.
   */
  protected static void authenticate(RoutingContext ctx, BearerVerifier verifier,
      BiConsumer<RoutingContext, String> refuse, BiConsumer<RoutingContext, Throwable> broken) {
    String token = StandInHttp.bearerToken(ctx.request());
    if (token == null) {
      refuse.accept(ctx, null);
      return;
    }
    verifier.verify(token)
        .onSuccess(claims -> {
          ctx.put("claims", claims);
          ctx.next();
        })
        .onFailure(failure -> {
          if (failure instanceof InvalidBearerTokenException) {
            refuse.accept(ctx, failure.getMessage());
          } else {
            broken.accept(ctx, failure);
          }
        });
  }

  public Future<Void> close() {
    return http.close();
  }

  public int port() {
    return http.port();
  }

  public String baseUrl() {
    return http.baseUrl();
  }

  /** Every request received, including refused ones, in arrival order. */
  public List<ReceivedRequest> received() {
    return http.received();
  }

  public int requestCount() {
    return http.requestCount();
  }
}
