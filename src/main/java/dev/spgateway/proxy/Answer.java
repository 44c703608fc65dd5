package dev.spgateway.proxy;

import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.streams.ReadStream;

/**
 * An upstream's answer on its way back to the caller: its status, its headers (the upstream's own, edited in place:
 * what is not passed on is left out when they are copied to the caller) and its body, paused until it is sent on.
 */
public final class Answer {

  private final HttpClientResponse upstream;
  private Body body;

  Answer(HttpClientResponse upstream, Upstream from) {
    this.upstream = upstream;
    this.body = new Body.Streamed(new FailingAsUpstream(upstream, from), declaredLength(upstream.headers()));
  }

  public int status() {
    return upstream.statusCode();
  }

  /** The upstream's reason phrase, passed on as it is. */
  String statusMessage() {
    return upstream.statusMessage();
  }

  public MultiMap headers() {
    return upstream.headers();
  }

  public Body body() {
    return body;
  }

  /** Replaces the body: a stage that reads or rewrites it passes on what it made instead. */
  public void body(Body replacement) {
    this.body = replacement;
  }

  /** Lets go of an answer that is not passed on (a 401 about to be retried): its body is read and dropped. */
  void discard() {
    upstream.handler(null);
    upstream.resume();
  }

  /** Cuts the exchange with the upstream off: passing the answer on failed halfway. */
  void reset() {
    upstream.request().reset();
  }

  /**
   * The upstream's body, whose failures say so ({@link UpstreamFailure#midAnswer}): whatever reads it (a whole read,
   * the link rewriter, the pipe to the caller) passes on a failure that names the upstream and what broke.
   */
  private static final class FailingAsUpstream extends PassingStream {

    private final Upstream upstream;

    FailingAsUpstream(ReadStream<Buffer> source, Upstream upstream) {
      super(source);
      this.upstream = upstream;
    }

    @Override
    public ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
      source.exceptionHandler(handler == null ? null
          : failure -> handler.handle(UpstreamFailure.midAnswer(upstream, failure)));
      return this;
    }
  }

  /** The Content-Length, or -1 when there is none (chunked) or it is not a number (then the upstream's decoder decides). */
  private static long declaredLength(MultiMap headers) {
    if (headers.contains(HttpHeaders.TRANSFER_ENCODING)) return -1;
    String value = headers.get(HttpHeaders.CONTENT_LENGTH);
    if (value == null) return -1;
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
