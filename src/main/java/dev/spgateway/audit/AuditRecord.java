package dev.spgateway.audit;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;

/**
 * What happened to one request: who asked, as whom it was done, and how it ended. Holds names, ids and
 * numbers only: never a token, secret, key, Authorization value, query value or body.
 *
 * @param outcome {@code forwarded} (the upstream answered), {@code denied} (the gateway refused) or
 *     {@code failed} (the gateway could not complete it: token, upstream or connection trouble)
 * @param problem for denied and failed requests, the problem type the caller was given
 * @param rateLimit what the budget stage said: {@code allowed}, or the limit that refused
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AuditRecord(
    Instant time,
    String requestId,
    String caller,
    String authentication,
    String servicePrincipal,
    String upstream,
    String method,
    String path,
    String rule,
    String outcome,
    String problem,
    String reason,
    int status,
    double durationMs,
    Double tokenMs,
    Double upstreamMs,
    String upstreamRequestId,
    String rateLimit) {}
