package dev.spgateway.policy;

/**
 * A request target that cannot be reduced to one unambiguous form. Thrown for hostile input, so it
 * carries no stack trace: building one would make refusing cost more than allowing.
 */
final class BadTarget extends RuntimeException {

  BadTarget(String reason) {
    super(reason, null, false, false);
  }
}
