package dev.spgateway.sandbox;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;

/** What every plain-HTTP stand-in offers: its address, its lifecycle, and what it received. */
abstract class StandInServer {

  protected final StandInHttp http;

  StandInServer(Vertx vertx, int port) {
    this.http = new StandInHttp(vertx, port);
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
