package dev.spgateway.gateway;

/**
 * Ends an exchange with a problem response instead of forwarding it. Carries no stack trace: it is a
 * planned answer, not a fault. Its detail is shown to the caller, so it never holds a secret.
 */
public final class Rejection extends RuntimeException {

  private final int status;
  private final String type;
  private final String retryAfterSeconds;
  private final String operatorDetail;

  public Rejection(int status, String type, String detail) {
    this(status, type, detail, null);
  }

  public Rejection(int status, String type, String detail, String retryAfterSeconds) {
    this(status, type, detail, retryAfterSeconds, detail);
  }

  /**
   * A rejection whose caller is told less than the operators: {@code operatorDetail} goes to the audit record (the
   * log has it already), {@code detail} to the caller.
   */
  public Rejection(int status, String type, String detail, String retryAfterSeconds, String operatorDetail) {
    super(detail, null, false, false);
    this.status = status;
    this.type = type;
    this.retryAfterSeconds = retryAfterSeconds;
    this.operatorDetail = operatorDetail;
  }

  /** What the audit record says: the detail, or more of it when callers are told less. Never a secret. */
  public String operatorDetail() {
    return operatorDetail;
  }

  public int status() {
    return status;
  }

  /** A stable short name for the kind of problem ({@code route-denied}); operators alert on it. */
  public String type() {
    return type;
  }

  public String detail() {
    return getMessage();
  }

  /** For 503s: when trying again makes sense, or {@code null}. */
  public String retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
