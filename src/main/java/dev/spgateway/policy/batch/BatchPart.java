package dev.spgateway.policy.batch;

/**
 * One sub-request of a batch as parsed, before it is judged.
 *
 * @param id Graph's {@code id}, Dataverse's {@code Content-ID}, or {@code #n} (its position) when it has none
 * @param target the path and query on the upstream, made absolute, as the policy judges it
 * @param contentLength the body's length in bytes, 0 when it has none
 */
record BatchPart(String id, String method, String target, String contentType, long contentLength) {}
