package dev.spgateway.ratelimit;

import static dev.spgateway.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.identity.ApiKeys;
import dev.spgateway.testing.MutableClock;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Graph and Dataverse speak HTTPS only: the gateway's TLS to an upstream, and that it keeps its connections. */
class HttpsUpstreamTest {

  @TempDir Path dir;
  final MutableClock clock = new MutableClock(Instant.parse("2027-03-01T09:00:00Z"));
  LimitedGateway gateway;

  @AfterEach
  void stop() {
    if (gateway != null) gateway.close();
  }

  @Test
  void anHttpsUpstreamIsReachedWithOpenSslOverOneKeptConnection() {
    assertThat(OpenSSLEngineOptions.isAvailable()).as("netty-tcnative's BoringSSL loads on this platform").isTrue();
    gateway = LimitedGateway.start(dir, clock, "null", "null", 2, true);

    // One caller connection, so one event loop serves every request.
    WebClient caller = WebClient.create(gateway.vertx, new WebClientOptions(), new PoolOptions().setHttp1MaxSize(1));
    for (int i = 0; i < 30; i++) {
      assertThat(await(caller.get(gateway.gateway.port(), "127.0.0.1", "/graph/v1.0/users")
          .putHeader(ApiKeys.HEADER, gateway.callerKey).send()).statusCode()).isEqualTo(200);
    }
    caller.close();

    assertThat(gateway.upstream.requests()).isEqualTo(30);
    // That loop's client keeps its upstream connection: one handshake for all thirty.
    assertThat(gateway.upstream.connections()).isEqualTo(1);
  }
}
