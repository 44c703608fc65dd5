package dev.spgateway.credential;

import io.vertx.core.Future;

/** A source of bearer tokens for one (service principal, scope). Completes on the caller's context. */
public interface TokenSource {

  Future<AccessToken> token(String servicePrincipal, String scope);

  /**
   * An upstream refused {@code rejected}: forget it, unless a newer token already replaced it, so the
   * next {@link #token} call fetches a fresh one.
   */
  void evict(String servicePrincipal, String scope, AccessToken rejected);
}
