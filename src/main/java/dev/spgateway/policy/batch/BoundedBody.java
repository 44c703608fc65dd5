package dev.spgateway.policy.batch;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

/** Reads a request body into memory, but never more than a bound: a larger body fails as soon as it passes it. */
public final class BoundedBody {

  /** The body passed the bound; what was read is dropped. */
  public static final class TooLarge extends RuntimeException {
    TooLarge(long limit) {
      super("the body is larger than " + limit + " bytes", null, false, false);
    }
  }

  private BoundedBody() {}

  /**
   * Reads {@code stream} (paused, not yet read) to its end. Past {@code limit} bytes the future fails with
   * {@link TooLarge} at once; the rest is read and dropped, so the connection can still carry the refusal.
   */
  public static Future<Buffer> read(ReadStream<Buffer> stream, long limit) {
    Promise<Buffer> promise = Promise.promise();
    Buffer body = Buffer.buffer();
    stream.handler(chunk -> {
      if (body.length() + (long) chunk.length() <= limit) {
        body.appendBuffer(chunk);
      } else {
        promise.tryFail(new TooLarge(limit));
      }
    });
    stream.exceptionHandler(promise::tryFail);
    stream.endHandler(end -> promise.tryComplete(body));
    stream.resume();
    return promise.future();
  }
}
