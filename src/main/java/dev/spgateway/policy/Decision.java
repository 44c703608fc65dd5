package dev.spgateway.policy;

import java.util.List;

/** What the policy says about one request. */
public sealed interface Decision {

  /**
   * Forward, spending {@code servicePrincipal}'s token on {@code upstream}.
   *
   * @param ruleId the rule that allowed it, as the config names it ({@code routes[0].allow[1]})
   * @param target the canonical path and query to forward, exactly as judged
   * @param queryOptions the names of the query options sent ({@code $select}, {@code $top}), never their values
   * @param batch for a {@code $batch}, each sub-request as judged (all allowed); empty otherwise
   * @param allowedHeaders refused headers ({@link UnjudgedHeaders#NAMES}) the deciding rule lets through
   */
  record Allow(String ruleId, String upstream, String servicePrincipal, String target, List<String> queryOptions,
      List<SubRequest> batch, List<String> allowedHeaders) implements Decision {

    public Allow {
      queryOptions = List.copyOf(queryOptions);
      batch = List.copyOf(batch);
      allowedHeaders = List.copyOf(allowedHeaders);
    }

    public Allow(String ruleId, String upstream, String servicePrincipal, String target, List<String> queryOptions,
        List<SubRequest> batch) {
      this(ruleId, upstream, servicePrincipal, target, queryOptions, batch, List.of());
    }

    /** How many upstream requests this is: one, or one per sub-request of a batch (what budgets count). */
    public int requests() {
      return batch.isEmpty() ? 1 : batch.size();
    }
  }

  /** Refuse, with a reason the caller can act on. */
  record Deny(Refusal refusal, String reason) implements Decision {}

  /** Why a request is refused, and the status and problem type the caller gets for it. */
  enum Refusal {
    /** The target cannot be reduced to one unambiguous form. */
    BAD_TARGET(400, "bad-target"),
    /** No rule allows it. */
    DENIED(403, "route-denied"),
    /** The body is larger than the route allows. */
    BODY_TOO_LARGE(413, "body-too-large"),
    /** The body's content type is not one the route allows. */
    UNSUPPORTED_MEDIA_TYPE(415, "unsupported-media-type"),
    /** A {@code $batch} whose target, body or a sub-request's URL cannot be read one way only. */
    BAD_BATCH(400, "bad-batch"),
    /** A sub-request of a {@code $batch} is denied, or its sub-requests need more than one service principal. */
    BATCH_DENIED(403, "batch-denied");

    private final int status;
    private final String problemType;

    Refusal(int status, String problemType) {
      this.status = status;
      this.problemType = problemType;
    }

    public int status() {
      return status;
    }

    public String problemType() {
      return problemType;
    }
  }

  /**
   * One sub-request of a {@code $batch}, judged as if it were sent alone.
   *
   * @param id the sub-request's id in the batch (Graph's {@code id}, Dataverse's {@code Content-ID} or position)
   * @param path the canonical path it names, without query values
   * @param ruleId the rule that allowed it
   */
  record SubRequest(String id, String method, String path, String ruleId) {}
}
