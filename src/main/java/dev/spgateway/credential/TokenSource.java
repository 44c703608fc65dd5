package dev.spgateway.credential;

import io.vertx.core.Future;

/** A source of bearer tokens for one (service principal, scope). Completes on the caller's context. */
public interface TokenSource {
  Future<AccessToken> token(String servicePrincipal, String scope);
}
