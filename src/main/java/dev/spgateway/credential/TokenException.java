package dev.spgateway.credential;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * A service principal could not get a token. The message is written for operators: it names the
 * service principal, its client id, the HTTP status and Entra's error code, AADSTS number and
 * trace/correlation ids, and never contains the client secret, a token or the request form.
 */
public final class TokenException extends RuntimeException {

  /** {@link #outcome()} when the token endpoint could not be reached. */
  public static final String UNREACHABLE = "unreachable";
  /** {@link #outcome()} when the token endpoint did not answer in time. */
  public static final String TIMEOUT = "timeout";
  /** {@link #outcome()} when a success answer carried no usable token. */
  public static final String INVALID_RESPONSE = "invalid_response";
  /** {@link #outcome()} when the client secret could not be read, so no request was made. */
  public static final String SECRET_UNAVAILABLE = "secret_unavailable";

  private final String servicePrincipal;
  private final String clientId;
  private final Integer status;
  private final String error;
  private final String aadstsCode;
  private final String traceId;
  private final String correlationId;
  private final boolean retryable;
  private final String outcome;
  private final Long retryAfterSeconds;

  private TokenException(
      String servicePrincipal,
      String clientId,
      Integer status,
      String error,
      String aadstsCode,
      String traceId,
      String correlationId,
      boolean retryable,
      String outcome,
      String detail,
      Throwable cause,
      Long retryAfterSeconds) {
    // No stack trace: an expected failure, logged in one line; callers in a back-off get copies of it.
    super("token request for service principal '" + servicePrincipal + "' (client " + clientId + ") failed: " + detail,
        cause, false, false);
    this.servicePrincipal = servicePrincipal;
    this.clientId = clientId;
    this.status = status;
    this.error = error;
    this.aadstsCode = aadstsCode;
    this.traceId = traceId;
    this.correlationId = correlationId;
    this.retryable = retryable;
    this.outcome = outcome;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  private TokenException(TokenException original, String message, Long retryAfterSeconds) {
    super(message, original.getCause(), false, false);
    this.servicePrincipal = original.servicePrincipal;
    this.clientId = original.clientId;
    this.status = original.status;
    this.error = original.error;
    this.aadstsCode = original.aadstsCode;
    this.traceId = original.traceId;
    this.correlationId = original.correlationId;
    this.retryable = original.retryable;
    this.outcome = original.outcome;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** The same failure, told to a caller while the gateway waits {@code seconds} before asking Entra ID again. */
  TokenException inBackOff(long seconds) {
    String message = getMessage().endsWith(BACK_OFF_NOTE) ? getMessage() : getMessage() + BACK_OFF_NOTE;
    return new TokenException(this, message, Math.max(1, seconds));
  }

  private static final String BACK_OFF_NOTE = " (remembered: the gateway asks again after a pause)";

  /**
   * The token endpoint answered with an error status. The fields come from Entra's error body when
   * it had one; callers pass only values already checked to look like codes and ids.
   */
  static TokenException rejected(
      String servicePrincipal,
      String clientId,
      int status,
      String error,
      String aadstsCode,
      String traceId,
      String correlationId,
      String nonJsonDetail,
      Long retryAfter) {
    StringBuilder detail = new StringBuilder().append(status);
    if (nonJsonDetail != null) {
      detail.append(' ').append(nonJsonDetail);
    }
    if (error != null) {
      detail.append(' ').append(error);
    }
    if (aadstsCode != null) {
      detail.append(' ').append(aadstsCode);
    }
    if (traceId != null || correlationId != null) {
      detail.append(" (");
      if (traceId != null) {
        detail.append("trace ").append(traceId);
      }
      if (correlationId != null) {
        detail.append(traceId != null ? ", " : "").append("correlation ").append(correlationId);
      }
      detail.append(')');
    }
    // Entra's 5xx are transient; 429 is throttling; 408 a slow hop. Every other 4xx needs a fix.
    boolean retryable = status >= 500 || status == 429 || status == 408;
    String outcome = error != null ? error : "http_" + status;
    return new TokenException(
        servicePrincipal, clientId, status, error, aadstsCode, traceId, correlationId, retryable, outcome,
        detail.toString(), null, retryAfter);
  }

  static TokenException invalidResponse(String servicePrincipal, String clientId, int status, String what) {
    return new TokenException(
        servicePrincipal, clientId, status, null, null, null, null, true, INVALID_RESPONSE,
        status + " " + what, null, null);
  }

  static TokenException unreachable(String servicePrincipal, String clientId, String endpoint, Throwable cause) {
    return new TokenException(
        servicePrincipal, clientId, null, null, null, null, null, true, UNREACHABLE,
        "token endpoint " + endpoint + " unreachable (" + cause.getMessage() + ")", cause, null);
  }

  static TokenException timeout(String servicePrincipal, String clientId, String endpoint, Throwable cause) {
    return new TokenException(
        servicePrincipal, clientId, null, null, null, null, null, true, TIMEOUT,
        "token endpoint " + endpoint + " did not answer in time (" + cause.getMessage() + ")", cause, null);
  }

  static TokenException secretUnavailable(String servicePrincipal, String clientId, String why) {
    return new TokenException(
        servicePrincipal, clientId, null, null, null, null, null, false, SECRET_UNAVAILABLE,
        "credential unavailable: " + why, null, null);
  }

  public String servicePrincipal() {
    return servicePrincipal;
  }

  public String clientId() {
    return clientId;
  }

  /** The token endpoint's HTTP status; empty when it was never reached or never answered. */
  public OptionalInt status() {
    return status == null ? OptionalInt.empty() : OptionalInt.of(status);
  }

  /** Entra's {@code error}, e.g. {@code invalid_client}. */
  public Optional<String> error() {
    return Optional.ofNullable(error);
  }

  /** The first of Entra's {@code error_codes} as operators search for it, e.g. {@code AADSTS7000215}. */
  public Optional<String> aadstsCode() {
    return Optional.ofNullable(aadstsCode);
  }

  public Optional<String> traceId() {
    return Optional.ofNullable(traceId);
  }

  public Optional<String> correlationId() {
    return Optional.ofNullable(correlationId);
  }

  /**
   * Entra ID refused the client's credential ({@code invalid_client}: e.g. AADSTS7000215 wrong secret,
   * AADSTS7000222 expired secret, AADSTS700027 assertion signed with an unknown key): a rotated credential may fix it.
   */
  public boolean invalidClient() {
    return "invalid_client".equals(error);
  }

  /**
   * How long the caller should wait before trying again: Entra's {@code Retry-After}, or the time left in the
   * gateway's back-off; empty when neither said.
   */
  public java.util.OptionalLong retryAfterSeconds() {
    return retryAfterSeconds == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(retryAfterSeconds);
  }

  /** True when the same request may succeed later (5xx, throttling, timeout, unreachable). */
  public boolean retryable() {
    return retryable;
  }

  /**
   * A short, bounded label for metrics: Entra's error code, {@code http_<status>} when there was
   * none, or one of {@link #UNREACHABLE}, {@link #TIMEOUT}, {@link #INVALID_RESPONSE},
   * {@link #SECRET_UNAVAILABLE}.
   */
  public String outcome() {
    return outcome;
  }
}
