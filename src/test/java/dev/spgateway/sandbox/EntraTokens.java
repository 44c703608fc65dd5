package dev.spgateway.sandbox;

import static dev.spgateway.testing.Await.await;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;

/** Gets client-credentials tokens from an {@link EntraStandIn} the way any HTTP client would. */
final class EntraTokens {

  static final String TENANT = "72f988bf-0000-0000-0000-2d7cd011db47";
  static final String CLIENT_ID = "1b4c0000-0000-0000-0000-00000000a11c";
  static final String SECRET = "finance-app-secret-value";

  private final EntraStandIn entra;
  private final WebClient client;

  EntraTokens(EntraStandIn entra, WebClient client) {
    this.entra = entra;
    this.client = client;
  }

  String token(String scope) {
    return token(CLIENT_ID, SECRET, scope);
  }

  String token(String clientId, String secret, String scope) {
    MultiMap form = MultiMap.caseInsensitiveMultiMap()
        .set("grant_type", "client_credentials")
        .set("client_id", clientId)
        .set("client_secret", secret)
        .set("scope", scope);
    HttpResponse<Buffer> response = await(client.postAbs(entra.tokenUrl(TENANT)).sendForm(form));
    if (response.statusCode() != 200) {
      throw new AssertionError("token request failed: " + response.bodyAsString());
    }
    return response.bodyAsJsonObject().getString("access_token");
  }
}
