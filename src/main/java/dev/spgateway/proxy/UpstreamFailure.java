package dev.spgateway.proxy;

/** The upstream could not be reached, or did not answer in time. Never carries request data. */
public final class UpstreamFailure extends RuntimeException {

  private final boolean timeout;

  UpstreamFailure(String message, boolean timeout) {
    super(message, null, false, false);
    this.timeout = timeout;
  }

  /** True when the upstream was reached but stayed silent too long (504), false when unreachable (502). */
  public boolean timeout() {
    return timeout;
  }
}
