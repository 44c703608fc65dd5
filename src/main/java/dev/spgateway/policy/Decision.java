package dev.spgateway.policy;

/** What the policy says about one request. */
public sealed interface Decision {

  /**
   * Forward, spending {@code servicePrincipal}'s token on {@code upstream}.
   *
   * @param ruleId the rule that allowed it, as the config names it ({@code routes[0].allow[1]})
   */
  record Allow(String ruleId, String upstream, String servicePrincipal) implements Decision {}

  /** Refuse, with a reason the caller can act on. */
  record Deny(String reason) implements Decision {}
}
