package dev.spgateway.gateway;

import dev.spgateway.credential.TokenException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What the caller is told when getting a token failed, or something unforeseen went wrong. */
final class Failures {

  private static final Logger LOG = LoggerFactory.getLogger(Failures.class);

  /** Entra ID outages are usually short; asking callers back soon is better than failing their run. */
  private static final String TOKEN_RETRY_AFTER_SECONDS = "5";

  private Failures() {}

  static Rejection asRejection(Throwable failure) {
    if (failure instanceof TokenException token) {
      // The message names the service principal, client id, Entra's error code and trace id: what an
      // operator needs to fix it, and never the secret.
      return token.retryable()
          ? new Rejection(503, "token-endpoint-unavailable", token.getMessage(), token.retryAfterSeconds().isPresent()
              ? Long.toString(token.retryAfterSeconds().getAsLong()) : TOKEN_RETRY_AFTER_SECONDS)
          : new Rejection(502, "token-request-failed", token.getMessage());
    }
    LOG.error("Request failed unexpectedly: {}", failure.toString());
    return new Rejection(500, "internal", "the gateway failed unexpectedly; quote the request id to its operators");
  }
}
