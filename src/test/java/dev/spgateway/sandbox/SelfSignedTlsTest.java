package dev.spgateway.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertPathBuilderException;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class SelfSignedTlsTest {

  private static SelfSignedTls tls;
  private HttpServer server;

  @BeforeAll
  static void generateOnce() {
    tls = SelfSignedTls.generate();
  }

  @BeforeEach
  void startHttpsServer(Vertx vertx, VertxTestContext testContext) {
    vertx.createHttpServer(new HttpServerOptions().setSsl(true).setKeyCertOptions(tls.keyCertOptions()))
        .requestHandler(request -> request.response().end("hello over TLS"))
        .listen(0, "127.0.0.1")
        .onComplete(testContext.succeeding(started -> {
          server = started;
          testContext.completeNow();
        }));
  }

  @Test
  void clientTrustingTheCertificateReachesTheServer(VertxTestContext testContext) {
    get(tls.clientContext()).whenComplete((response, failure) -> testContext.verify(() -> {
      assertThat(failure).isNull();
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body()).isEqualTo("hello over TLS");
      testContext.completeNow();
    }));
  }

  @Test
  void clientWithTheJvmDefaultTrustIsRefused(VertxTestContext testContext) throws NoSuchAlgorithmException {
    get(SSLContext.getDefault()).whenComplete((response, failure) -> testContext.verify(() -> {
      assertThat(failure).hasCauseInstanceOf(SSLHandshakeException.class)
          .hasRootCauseInstanceOf(CertPathBuilderException.class);
      testContext.completeNow();
    }));
  }

  @Test
  void certificatePemIsOneCertificateAndNoKey() {
    assertThat(tls.certificatePem())
        .startsWith("-----BEGIN CERTIFICATE-----\n")
        .endsWith("-----END CERTIFICATE-----\n")
        .doesNotContain("PRIVATE KEY");
  }

  @Test
  void eachGenerationMakesADifferentCertificate() {
    assertThat(SelfSignedTls.generate().certificatePem()).isNotEqualTo(tls.certificatePem());
  }

  private CompletableFuture<HttpResponse<String>> get(SSLContext sslContext) {
    HttpClient client = HttpClient.newBuilder().sslContext(sslContext).build();
    HttpRequest request = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.actualPort() + "/")).build();
    return client.sendAsync(request, HttpResponse.BodyHandlers.ofString());
  }
}
