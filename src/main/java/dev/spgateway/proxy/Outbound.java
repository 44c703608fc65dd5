package dev.spgateway.proxy;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;

/**
 * A caller's request as it goes upstream: where to (the judged path and query), which Content-Type when a stage
 * rewrote it, and its body. A body that a stage read to judge it, or that is small, is held here and can be sent
 * twice (after a refused token); a longer one streams once from the caller.
 */
public final class Outbound {

  final HttpServerRequest caller;
  final String uri;
  final String requestId;
  /** The Content-Type as judged (a {@code $batch}'s, written one way), or {@code null} for the caller's own. */
  final String contentType;
  /** The whole body, when held; {@code null} when there is none or it streams. */
  final Buffer body;
  final boolean streamed;

  Outbound(HttpServerRequest caller, String uri, String requestId, String contentType, Buffer body, boolean streamed) {
    this.caller = caller;
    this.uri = uri;
    this.requestId = requestId;
    this.contentType = contentType;
    this.body = body;
    this.streamed = streamed;
  }

  /** Whether it can be sent again: its body is held, or it has none. */
  public boolean replayable() {
    return !streamed;
  }
}
