package dev.spgateway.policy;

/**
 * Decides whether a caller may send a request. Deny by default: anything no rule allows is refused.
 * Implementations are immutable and safe to share between event loops.
 */
public interface RoutePolicy {

  /** Judges {@code request} for the identified caller {@code caller}; never throws for bad input. */
  Decision decide(String caller, PolicyRequest request);
}
