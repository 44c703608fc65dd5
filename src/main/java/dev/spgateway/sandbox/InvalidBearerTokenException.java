package dev.spgateway.sandbox;

/**
 * A bearer token was refused. The message says why (audience, issuer, expiry, signature) and never
 * contains the token. Other failures of {@link BearerVerifier#verify} (keys unreachable) are not this.
 */
public final class InvalidBearerTokenException extends RuntimeException {

  public InvalidBearerTokenException(String reason) {
    super(reason, null, false, false);
  }
}
