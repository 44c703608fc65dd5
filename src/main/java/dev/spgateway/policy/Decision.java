package dev.spgateway.policy;

import java.util.List;

/** What the policy says about one request. */
public sealed interface Decision {

  /**
   * Forward, spending {@code servicePrincipal}'s token on {@code upstream}.
   *
   * @param ruleId the rule that allowed it, as the config names it ({@code routes[0].allow[1]})
   * @param batch for a {@code $batch}, each sub-request as judged (all allowed); empty otherwise
   */
  record Allow(String ruleId, String upstream, String servicePrincipal, List<SubRequest> batch) implements Decision {

    public Allow {
      batch = List.copyOf(batch);
    }

    public Allow(String ruleId, String upstream, String servicePrincipal) {
      this(ruleId, upstream, servicePrincipal, List.of());
    }

    /** How many upstream requests this is: one, or one per sub-request of a batch (what budgets count). */
    public int requests() {
      return batch.isEmpty() ? 1 : batch.size();
    }
  }

  /** Refuse, with a reason the caller can act on. */
  record Deny(String reason) implements Decision {}

  /**
   * One sub-request of a {@code $batch}, judged as if it were sent alone.
   *
   * @param id the sub-request's id in the batch (Graph's {@code id}, Dataverse's {@code Content-ID} or position)
   * @param path the canonical path it names, without query values
   * @param ruleId the rule that allowed it
   */
  record SubRequest(String id, String method, String path, String ruleId) {}
}
