package dev.spgateway.identity;

/**
 * Why an Entra ID token was not accepted, in words the caller can act on. Never holds the token. When the
 * token itself was genuine (an unknown caller, a missing role), {@code appId}/{@code objectId} say whose it
 * was, for the audit record. Carries no stack trace: it is an answer, not a fault.
 */
public final class TokenRefusal extends RuntimeException {

  /** RFC 6750 error codes, for the {@code WWW-Authenticate} challenge. */
  public static final String INVALID_TOKEN = "invalid_token";
  public static final String INVALID_REQUEST = "invalid_request";
  public static final String INSUFFICIENT_SCOPE = "insufficient_scope";

  private final int status;
  private final String type;
  private final String error;
  private final String appId;
  private final String objectId;

  TokenRefusal(int status, String type, String error, String detail) {
    this(status, type, error, detail, null, null);
  }

  TokenRefusal(int status, String type, String error, String detail, String appId, String objectId) {
    super(detail, null, false, false);
    this.status = status;
    this.type = type;
    this.error = error;
    this.appId = appId;
    this.objectId = objectId;
  }

  /** 401 (the token is not accepted), 403 (a known caller without a required role), 503 (no signing keys yet). */
  public int status() {
    return status;
  }

  /** The problem type ({@code token-expired}, {@code missing-role}...). */
  public String type() {
    return type;
  }

  /** The RFC 6750 {@code error}, or null when there is none to give (503). */
  public String error() {
    return error;
  }

  public String detail() {
    return getMessage();
  }

  public String appId() {
    return appId;
  }

  public String objectId() {
    return objectId;
  }
}
