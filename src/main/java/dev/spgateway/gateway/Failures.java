package dev.spgateway.gateway;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What the caller is told when getting a token failed, or something unforeseen went wrong. */
final class Failures {

  private static final Logger LOG = LoggerFactory.getLogger(Failures.class);

  private Failures() {}

  static Rejection asRejection(Throwable failure) {
    LOG.error("Request failed unexpectedly: {}", failure.toString());
    return new Rejection(500, "internal", "the gateway failed unexpectedly; quote the request id to its operators");
  }
}
