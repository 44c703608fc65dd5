package dev.spgateway.audit;

import java.time.Instant;
import java.util.List;

/**
 * What happened to one request: who asked, as whom it was done, and how it ended. Holds names, ids and
 * numbers only: never a token, secret, key, Authorization value or body. The writer turns it into one
 * line of the log ({@link AuditLines}), adding the version, sequence number and hash chain.
 *
 * @param authentication how the caller proved who it is: {@code api-key}, {@code entra} or {@code api-key+entra}
 * @param callerAppId for an Entra ID token: the calling app's id ({@code azp}/{@code appid}), also when the token
 *     was genuine but refused (unknown caller, missing role)
 * @param callerObjectId for an Entra ID token: the calling identity's object id ({@code oid})
 * @param query the canonical query that was forwarded; only the values of options the operator listed
 *     in {@code audit.queryValues} are written, never the rest
 * @param outcome {@code forwarded} (the upstream answered), {@code denied} (the gateway refused) or
 *     {@code failed} (the gateway could not complete it: token, upstream or connection trouble)
 * @param problem for denied and failed requests, the problem type the caller was given
 * @param rateLimit what the budget stage said: {@code allowed}, or the limit that refused
 * @param batch for a {@code $batch}, one entry per sub-request in it
 * @param config for a config reload (outcome {@code reloaded}): the new config's hash and what triggered it;
 *     null in a request's record
 */
public record AuditRecord(
    Instant time,
    String requestId,
    String caller,
    String authentication,
    String callerAppId,
    String callerObjectId,
    String servicePrincipal,
    String upstream,
    String method,
    String path,
    List<String> queryOptions,
    String query,
    String rule,
    String outcome,
    String problem,
    String reason,
    String rateLimit,
    int status,
    long bytesIn,
    long bytesOut,
    double durationMs,
    Double tokenMs,
    Double upstreamMs,
    String upstreamRequestId,
    List<SubRequest> batch,
    ConfigChange config) {

  /** A request's record, without Entra ID ids (API-key callers, summaries). */
  public AuditRecord(Instant time, String requestId, String caller, String authentication, String servicePrincipal,
      String upstream, String method, String path, List<String> queryOptions, String query, String rule, String outcome,
      String problem, String reason, String rateLimit, int status, long bytesIn, long bytesOut, double durationMs,
      Double tokenMs, Double upstreamMs, String upstreamRequestId, List<SubRequest> batch) {
    this(time, requestId, caller, authentication, null, null, servicePrincipal, upstream, method, path, queryOptions,
        query, rule, outcome, problem, reason, rateLimit, status, bytesIn, bytesOut, durationMs, tokenMs, upstreamMs,
        upstreamRequestId, batch, null);
  }

  /** The record of a config reload that was applied: no request, status 0. */
  public static AuditRecord configReloaded(Instant time, String sha256, String trigger, String reason) {
    return new AuditRecord(time, null, null, null, null, null, null, null, null, null, null, null, null, "reloaded",
        null, reason, null, 0, 0, 0, 0, null, null, null, null, new ConfigChange(sha256, trigger));
  }

  /** One request inside a {@code $batch}, as the policy judged it. */
  public record SubRequest(String id, String method, String path, String rule) {}

  /**
   * @param sha256 SHA-256 (hex) of the config file's bytes as read
   * @param trigger what made the gateway read it: {@code signal} (SIGHUP) or {@code file-change}
   */
  public record ConfigChange(String sha256, String trigger) {}
}
