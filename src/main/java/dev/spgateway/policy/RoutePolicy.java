package dev.spgateway.policy;

/**
 * Decides whether a caller may send a request. Deny by default: anything no rule allows is refused.
 * Implementations are immutable and safe to share between event loops.
 */
public interface RoutePolicy {

  /**
   * @param caller the identified caller's name
   * @param method the HTTP method, upper case
   * @param upstream the first path segment of the gateway URL
   * @param path the rest of the path, starting with {@code /}, still percent-encoded, already checked by
   *     {@link RequestPaths#problem(String)}
   */
  Decision decide(String caller, String method, String upstream, String path);
}
