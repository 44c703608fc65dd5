package dev.spgateway.policy.batch;

/** A batch body that cannot be read one way only; the message says what is wrong and where. */
final class BatchException extends RuntimeException {

  BatchException(String message) {
    super(message, null, false, false);
  }
}
