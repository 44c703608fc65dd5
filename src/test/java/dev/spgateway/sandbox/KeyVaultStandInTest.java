package dev.spgateway.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.security.keyvault.secrets.SecretAsyncClient;
import com.azure.security.keyvault.secrets.models.KeyVaultSecret;
import dev.spgateway.credential.AccessToken;
import dev.spgateway.credential.KeyVaultClients;
import dev.spgateway.credential.KeyVaultTokenCredential;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The stand-in's wire format, seen raw; the full SDK round trip is in KeyVaultSecretsTest. */
@ExtendWith(VertxExtension.class)
class KeyVaultStandInTest {

  private static final String TENANT = "72f988bf-0000-0000-0000-2d7cd011db47";
  private static final String GOOD_TOKEN = "good.token.value";
  // Stands in for a JWKS verifier: the stand-in's own behaviour is what is tested here.
  private static final BearerVerifier VERIFIER = token -> GOOD_TOKEN.equals(token)
      ? Future.succeededFuture(new JsonObject().put("appid", "5e1d-app").put("oid", "9a0b-object"))
      : Future.failedFuture("signature does not verify for " + token);

  private static SelfSignedTls tls;
  private KeyVaultStandIn vault;
  private WebClient http;

  @BeforeAll
  static void generateTls() {
    tls = SelfSignedTls.generate();
  }

  @BeforeEach
  void start(Vertx vertx, VertxTestContext testContext) {
    http = WebClient.create(vertx, new WebClientOptions().setSsl(true)
        .setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(tls.certificatePem()))));
    vault = new KeyVaultStandIn(vertx, VERIFIER, TENANT, tls)
        .putSecret("finance-client-secret", "first-value")
        .putSecret("finance-client-secret", "second-value");
    vault.start().onComplete(testContext.succeedingThenComplete());
  }

  @AfterEach
  void stop(VertxTestContext testContext) {
    vault.close().onComplete(testContext.succeedingThenComplete());
  }

  @Test
  void requestWithoutTokenGetsTheBearerChallenge(VertxTestContext testContext) {
    get("/secrets/finance-client-secret/?api-version=7.6", null).onComplete(testContext.succeeding(response ->
        testContext.verify(() -> {
          assertThat(response.statusCode()).isEqualTo(401);
          assertThat(response.getHeader("WWW-Authenticate")).isEqualTo("Bearer authorization="
              + "\"https://login.microsoftonline.com/" + TENANT + "\", resource=\"https://vault.azure.net\"");
          assertThat(error(response).getString("code")).isEqualTo("Unauthorized");
          assertThat(vault.challenges()).isEqualTo(1);
          assertThat(vault.requestCount()).isEqualTo(1);
          testContext.completeNow();
        })));
  }

  @Test
  void refusedTokenIsUnauthorizedAndNeverEchoed(VertxTestContext testContext) {
    get("/secrets/finance-client-secret/?api-version=7.6", "forged.token.value")
        .onComplete(testContext.succeeding(response -> testContext.verify(() -> {
          assertThat(response.statusCode()).isEqualTo(401);
          assertThat(response.getHeader("WWW-Authenticate")).startsWith("Bearer authorization=");
          assertThat(error(response).getString("code")).isEqualTo("Unauthorized");
          assertThat(response.bodyAsString())
              .contains("signature does not verify")
              .doesNotContain("forged.token.value");
          assertThat(vault.challenges()).isZero();
          assertThat(vault.reads("finance-client-secret")).isZero();
          testContext.completeNow();
        })));
  }

  @Test
  void latestVersionHasAnIdWithA32HexVersion(VertxTestContext testContext) {
    get("/secrets/finance-client-secret/?api-version=7.6", GOOD_TOKEN).onComplete(testContext.succeeding(response ->
        testContext.verify(() -> {
          assertThat(response.statusCode()).isEqualTo(200);
          JsonObject bundle = response.bodyAsJsonObject();
          assertThat(bundle.getString("value")).isEqualTo("second-value");
          assertThat(bundle.getString("id"))
              .matches("https://127\\.0\\.0\\.1:" + vault.port() + "/secrets/finance-client-secret/[0-9a-f]{32}");
          assertThat(bundle.getJsonObject("attributes").getBoolean("enabled")).isTrue();
          assertThat(vault.reads("finance-client-secret")).isEqualTo(1);
          testContext.completeNow();
        })));
  }

  @Test
  void theSdkReadsAnOlderVersionById(Vertx vertx, VertxTestContext testContext) {
    SecretAsyncClient client = KeyVaultClients.secretClient(URI.create(vault.vaultUrl()),
        new KeyVaultTokenCredential(vertx.getOrCreateContext(),
            scope -> Future.succeededFuture(new AccessToken(GOOD_TOKEN, Instant.now().plusSeconds(3600)))),
        Optional.of(tls.clientContext()),
        new KeyVaultClients.Settings(Duration.ofSeconds(5), 0, Duration.ofMillis(10)));
    vault.putSecret("rotating", "before-rotation");
    get("/secrets/rotating/?api-version=7.6", GOOD_TOKEN)
        .map(first -> first.bodyAsJsonObject().getString("id"))
        .compose(firstId -> {
          vault.putSecret("rotating", "after-rotation");
          String firstVersion = firstId.substring(firstId.lastIndexOf('/') + 1);
          return Future.all(
              Future.fromCompletionStage(client.getSecret("rotating", firstVersion).toFuture()),
              Future.fromCompletionStage(client.getSecret("rotating").toFuture()),
              get("/secrets/rotating/" + "0".repeat(32) + "?api-version=7.6", GOOD_TOKEN));
        })
        .onComplete(testContext.succeeding(reads -> testContext.verify(() -> {
          KeyVaultSecret older = reads.resultAt(0);
          KeyVaultSecret latest = reads.resultAt(1);
          HttpResponse<Buffer> unknownVersion = reads.resultAt(2);
          assertThat(older.getValue()).isEqualTo("before-rotation");
          assertThat(latest.getValue()).isEqualTo("after-rotation");
          assertThat(latest.getProperties().getVersion()).hasSize(32).isNotEqualTo(older.getProperties().getVersion());
          assertThat(unknownVersion.statusCode()).isEqualTo(404);
          assertThat(error(unknownVersion).getString("code")).isEqualTo("SecretNotFound");
          assertThat(vault.reads("rotating")).isEqualTo(3);
          testContext.completeNow();
        })));
  }

  @Test
  void missingSecretIsSecretNotFound(VertxTestContext testContext) {
    get("/secrets/payroll-client-secret/?api-version=7.6", GOOD_TOKEN).onComplete(testContext.succeeding(response ->
        testContext.verify(() -> {
          assertThat(response.statusCode()).isEqualTo(404);
          assertThat(error(response).getString("code")).isEqualTo("SecretNotFound");
          assertThat(error(response).getString("message")).contains("payroll-client-secret");
          testContext.completeNow();
        })));
  }

  @Test
  void deniedSecretIsForbiddenEvenWhenItExists(VertxTestContext testContext) {
    vault.deny("finance-client-secret");
    get("/secrets/finance-client-secret/?api-version=7.6", GOOD_TOKEN).onComplete(testContext.succeeding(response ->
        testContext.verify(() -> {
          assertThat(response.statusCode()).isEqualTo(403);
          JsonObject error = error(response);
          assertThat(error.getString("code")).isEqualTo("Forbidden");
          assertThat(error.getString("message"))
              .contains("'appid=5e1d-app;oid=9a0b-object' does not have secrets get permission");
          assertThat(error.getJsonObject("innerError").getString("code")).isEqualTo("AccessDenied");
          assertThat(response.bodyAsString()).doesNotContain("second-value");
          assertThat(vault.reads("finance-client-secret")).isZero();
          testContext.completeNow();
        })));
  }

  @Test
  void apiVersionIsRequired(VertxTestContext testContext) {
    get("/secrets/finance-client-secret/", GOOD_TOKEN).onComplete(testContext.succeeding(response ->
        testContext.verify(() -> {
          assertThat(response.statusCode()).isEqualTo(400);
          assertThat(error(response).getString("code")).isEqualTo("BadParameter");
          testContext.completeNow();
        })));
  }

  private Future<HttpResponse<Buffer>> get(String pathAndQuery, String bearer) {
    var request = http.get(vault.port(), "127.0.0.1", pathAndQuery);
    if (bearer != null) {
      request.bearerTokenAuthentication(bearer);
    }
    return request.send();
  }

  private static JsonObject error(HttpResponse<Buffer> response) {
    return response.bodyAsJsonObject().getJsonObject("error");
  }
}
