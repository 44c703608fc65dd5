package dev.spgateway.ratelimit;

/**
 * The budget stage's answer for one request.
 *
 * @param outcome {@code allowed}, or the name of the limit that refused ({@code caller-rate},
 *     {@code caller-day}, {@code service-principal-day}, {@code upstream-hold}, {@code concurrency},
 *     {@code store-unavailable}); goes into the audit record
 * @param status 429, or 503 while the budget store cannot be reached; 0 when allowed
 * @param detail what the caller is told on a refusal
 * @param retryAfterSeconds for a refusal, or {@code null} when waiting cannot help
 * @param policyHeader the {@code RateLimit-Policy} value, or {@code null} when the request has no limits
 * @param rateLimitHeader the {@code RateLimit} value, or {@code null}
 * @param permit the concurrency slot this request holds, or {@code null}; release it when the exchange ends
 */
public record Admission(String outcome, int status, String detail, String retryAfterSeconds, String policyHeader,
    String rateLimitHeader, Runnable permit) {

  public static final String ALLOWED = "allowed";
  public static final String POLICY_HEADER = "RateLimit-Policy";
  public static final String RATE_LIMIT_HEADER = "RateLimit";

  public boolean allowed() {
    return ALLOWED.equals(outcome);
  }
}
