package dev.spgateway.gateway;

import dev.spgateway.identity.Caller;
import dev.spgateway.policy.Decision;
import dev.spgateway.proxy.Upstream;
import io.vertx.core.http.HttpServerRequest;
import java.time.Instant;

/**
 * One request on its way through the pipeline: what each stage learned, for the next stage and for
 * the audit record. Touched only on the request's own event loop, so it needs no locking.
 */
public final class Exchange {

  final String requestId = RequestIds.next();
  final Instant startTime = Instant.now();
  final long startNanos = System.nanoTime();
  final HttpServerRequest request;
  /** The config this request is judged by from start to end, whatever a reload does meanwhile. */
  final Generation config;

  /** The upstream's name as the caller wrote it, and the path and query after it, as received. */
  String upstreamName;
  String upstreamTarget;
  RequestJudge.Target target;

  Caller caller;
  /** The ids of a genuine Entra ID token, also when it was refused (unknown caller, missing role): for the audit. */
  String callerAppId;
  String callerObjectId;
  Decision.Allow allow;
  Upstream upstream;
  Rejection rejection;
  /** The body, when authorize had to read it to judge it (a {@code $batch}); forwarded exactly as read. */
  io.vertx.core.buffer.Buffer body;
  /** The Content-Type that goes upstream, when authorize judged it (a {@code $batch}'s, written one way). */
  String forwardedContentType;

  /** Query option names as sent ({@code $select}, {@code $top}), never their values. Set by authorize (issue 3). */
  java.util.List<String> queryOptions = java.util.List.of();
  /** What the budget stage said ({@code allowed}, or which limit refused it). Set by limit (issue 4). */
  String rateLimit;
  /** The budget stage's answer: its headers go on the response, its concurrency slot is held until the end. */
  dev.spgateway.ratelimit.Admission admission;
  /** Bytes of body received from the caller and sent back to it. Counted for the audit record (issue 5). */
  long bytesIn;
  long bytesOut;

  long tokenNanos = -1;
  long upstreamNanos = -1;
  String upstreamRequestId;
  boolean retriedAfter401;
  /** Whether the caller was told {@code 100 Continue}. */
  boolean continueSent;
  boolean recorded;
  /** Counted among the requests a graceful stop waits for, until recorded. */
  boolean underWay;
  /** Being refused with 503 shutting-down, until recorded (a stop waits for its record before closing the audit log). */
  boolean refusing;

  Exchange(HttpServerRequest request, Generation config) {
    this.request = request;
    this.config = config;
    request.pause(); // the body waits until it is judged and forwarded
  }

  /** Gives back the concurrency slot, if this exchange holds one; the permit itself ignores a second call. */
  void releasePermit() {
    if (admission != null && admission.permit() != null) admission.permit().run();
  }

  public String requestId() {
    return requestId;
  }
}
