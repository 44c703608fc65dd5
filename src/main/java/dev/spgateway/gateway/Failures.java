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
      // The message names the service principal, client id, Entra's error code and trace id: what an operator
      // needs to fix it (logged once by the token service, and in the audit record), and nothing a caller needs.
      return token.retryable()
          ? Rejection.toldLess(503, "token-endpoint-unavailable", "Entra ID is not answering the gateway's token requests"
              + " right now; try again shortly", TOKEN_RETRY_AFTER_SECONDS, token.getMessage())
          : Rejection.toldLess(502, "token-request-failed", "the gateway could not get a token to act for you; its"
              + " operators can see why in the audit record of this request id", null, token.getMessage());
    }
    LOG.error("Request failed unexpectedly: {}", failure.toString());
    return new Rejection(500, "internal", "the gateway failed unexpectedly; quote the request id to its operators");
  }
}
