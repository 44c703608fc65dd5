package dev.spgateway.policy;

/**
 * One request as the policy sees it, before any body is read.
 *
 * @param method the HTTP method, upper case
 * @param upstream the first path segment of the gateway URL, as sent
 * @param target everything after {@code /{upstream}}: the path (starting with {@code /}) and, after {@code ?},
 *     the query, both exactly as received (still percent-encoded, not yet checked)
 * @param contentType the {@code Content-Type} header, or {@code null}
 * @param contentLength the body's declared length, {@code 0} for none, {@code -1} when not declared (chunked)
 */
public record PolicyRequest(String method, String upstream, String target, String contentType, long contentLength) {}
