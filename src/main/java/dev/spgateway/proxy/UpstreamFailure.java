package dev.spgateway.proxy;

import io.netty.channel.ConnectTimeoutException;
import java.util.concurrent.TimeoutException;

/** An upstream could not be reached, did not answer in time, or broke off its answer. Never carries request data. */
public final class UpstreamFailure extends RuntimeException {

  /** What went wrong; each is its own problem for the caller. */
  public enum Kind {
    /** No connection, or it failed before an answer began (502 upstream-unreachable). */
    UNREACHABLE,
    /** Reached, then silent longer than the upstream's timeout (504 upstream-timeout). */
    TIMEOUT,
    /** The answer had begun, then its connection failed (502 connection-closed, or a cut response). */
    BROKE_OFF
  }

  private final Kind kind;
  private final String upstream;

  private UpstreamFailure(Kind kind, Upstream upstream, String message) {
    super(message, null, false, false);
    this.kind = kind;
    this.upstream = upstream.name();
  }

  public Kind kind() {
    return kind;
  }

  /** The upstream's name. */
  public String upstream() {
    return upstream;
  }

  /** Why a request to {@code upstream} got no answer. */
  static UpstreamFailure reaching(Upstream upstream, Throwable failure) {
    if (failure instanceof UpstreamFailure known) return known;
    if (isTimeout(failure)) {
      return new UpstreamFailure(Kind.TIMEOUT, upstream, "upstream '" + upstream.name() + "' sent nothing for "
          + upstream.timeoutMillis() + " ms");
    }
    String why = failure instanceof ConnectTimeoutException
        ? "no connection within " + upstream.connectTimeoutMillis() + " ms"
        : describe(failure);
    return new UpstreamFailure(Kind.UNREACHABLE, upstream, "upstream '" + upstream.name() + "' at " + upstream.host()
        + ":" + upstream.port() + " is unreachable (" + why + ")");
  }

  /** Why the body of an answer from {@code upstream} stopped coming. */
  static UpstreamFailure midAnswer(Upstream upstream, Throwable failure) {
    if (failure instanceof UpstreamFailure known) return known;
    if (isTimeout(failure)) {
      return new UpstreamFailure(Kind.TIMEOUT, upstream, "upstream '" + upstream.name() + "' sent nothing more of its"
          + " answer for " + upstream.timeoutMillis() + " ms");
    }
    return new UpstreamFailure(Kind.BROKE_OFF, upstream, "upstream '" + upstream.name() + "' broke off its answer ("
        + describe(failure) + ")");
  }

  private static boolean isTimeout(Throwable failure) {
    return failure instanceof TimeoutException || failure.getCause() instanceof TimeoutException;
  }

  private static String describe(Throwable failure) {
    return failure.getClass().getSimpleName() + (failure.getMessage() == null ? "" : ": " + failure.getMessage());
  }
}
