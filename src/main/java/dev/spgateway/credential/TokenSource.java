package dev.spgateway.credential;

import io.vertx.core.Future;

/** A source of bearer tokens for one (service principal, scope). Completes on the caller's context. */
public interface TokenSource {

  Future<AccessToken> token(String servicePrincipal, String scope);

  /**
   * An upstream refused {@code rejected}: forget it, unless a newer token already replaced it, so the
   * next {@link #token} call fetches a fresh one.
   *
   * @return false when the next {@link #token} would hand out {@code rejected} again (it was evicted a moment ago
   *     already): a retry would be refused too
   */
  boolean evict(String servicePrincipal, String scope, AccessToken rejected);
}
