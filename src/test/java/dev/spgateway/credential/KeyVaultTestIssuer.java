package dev.spgateway.credential;

import dev.spgateway.sandbox.BearerVerifier;
import dev.spgateway.sandbox.KeyVaultStandIn;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.web.client.WebClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;

/**
 * A real OAuth2 server (mock-oauth2-server) shaped like Entra ID for one tenant: client-credentials tokens whose
 * audience is Key Vault's resource, a JWKS to check them with, and a record of every token handed out so tests
 * can prove no message leaks one.
 */
final class KeyVaultTestIssuer implements AutoCloseable {

  static final String TENANT = "72f988bf-0000-0000-0000-2d7cd011db47";
  static final String CLIENT_ID = "5e1d0000-0000-0000-0000-0000000000aa";
  static final String CLIENT_SECRET = "vault-client-secret-value-Xq9";
  private static final String ISSUER_ID = TENANT + "/oauth2/v2.0";

  private final MockOAuth2Server server;
  private final JsonArray jwks;
  private final List<String> issuedTokens = new CopyOnWriteArrayList<>();

  KeyVaultTestIssuer() throws IOException, InterruptedException {
    // Entra gives a token for "https://vault.azure.net/.default" the audience "https://vault.azure.net".
    String config = new JsonObject().put("tokenCallbacks", new JsonArray().add(new JsonObject()
        .put("issuerId", ISSUER_ID)
        .put("tokenExpiry", 3600)
        .put("requestMappings", new JsonArray().add(new JsonObject()
            .put("requestParam", "scope")
            .put("match", KeyVaultStandIn.RESOURCE + "/.default")
            .put("claims", new JsonObject()
                .put("aud", new JsonArray().add(KeyVaultStandIn.RESOURCE))
                .put("tid", TENANT)
                .put("appid", CLIENT_ID)))))).encode();
    server = new MockOAuth2Server(OAuth2Config.Companion.fromJson(config));
    server.start(InetAddress.getByName("127.0.0.1"), 0);
    // Test set-up thread, not an event loop: a blocking fetch is fine here.
    HttpResponse<String> keys = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(server.jwksUrl(ISSUER_ID).uri()).build(), HttpResponse.BodyHandlers.ofString());
    jwks = new JsonObject(keys.body()).getJsonArray("keys");
  }

  /** Client-credentials token for the scope, as the gateway's token client would fetch it. */
  Future<AccessToken> token(Vertx vertx, String scope) {
    MultiMap form = MultiMap.caseInsensitiveMultiMap()
        .add("grant_type", "client_credentials")
        .add("client_id", CLIENT_ID)
        .add("client_secret", CLIENT_SECRET)
        .add("scope", scope);
    return WebClient.create(vertx).postAbs(server.tokenEndpointUrl(ISSUER_ID).toString()).sendForm(form)
        .map(response -> {
          if (response.statusCode() != 200) {
            throw new IllegalStateException("token endpoint answered " + response.statusCode());
          }
          JsonObject body = response.bodyAsJsonObject();
          String token = body.getString("access_token");
          issuedTokens.add(token);
          return new AccessToken(token, Instant.now().plusSeconds(body.getLong("expires_in")));
        });
  }

  /** Verifies signature, issuer and audience the way Key Vault does; yields the claims. */
  BearerVerifier verifier(Vertx vertx, String audience) {
    JWTAuthOptions options = new JWTAuthOptions().setJWTOptions(new JWTOptions()
        .setIssuer(server.issuerUrl(ISSUER_ID).toString())
        .setAudience(List.of(audience)));
    jwks.forEach(key -> options.addJwk((JsonObject) key));
    JWTAuth jwt = JWTAuth.create(vertx, options);
    return token -> jwt.authenticate(new TokenCredentials(token))
        .map(user -> user.attributes().getJsonObject("accessToken"));
  }

  List<String> issuedTokens() {
    return issuedTokens;
  }

  @Override
  public void close() {
    server.shutdown();
  }
}
