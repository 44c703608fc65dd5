package dev.spgateway.listener;

/**
 * Where the listener reports a request it refused before the gateway's pipeline saw it (a malformed request, a
 * head too large or too slow, one connection too many), so it leaves an audit record like any other.
 */
@FunctionalInterface
public interface Refusals {

  /**
   * Records one refusal (or counts it, when too many come at once) and returns the request id to tell the caller.
   *
   * @param peer the caller's address, {@code host:port}
   * @param method the request's method as far as it could be read, or {@code null}
   * @param target the request's target as far as it could be read, or {@code null}
   */
  String refused(String peer, String method, String target, int status, String problemType, String reason);
}
