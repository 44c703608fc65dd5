package dev.spgateway.sandbox;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/** Checks a bearer token the way a Microsoft API would; yields the token's claims or fails. */
public interface BearerVerifier {
  Future<JsonObject> verify(String bearerToken);
}
