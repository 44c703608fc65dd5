package dev.spgateway.proxy;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.util.function.LongFunction;

/**
 * A body stream whose end waits for a future: piped into a response, the response is completed only
 * once {@code beforeEnd} has succeeded (strict audit: the record is on disk first). The last chunk is
 * held back too, since with a Content-Length the client has the whole response with its last byte,
 * before any end. If the future fails, the stream fails, and the pipe resets the response.
 */
public final class EndAfter extends PassingStream {

  private final LongFunction<Future<Void>> beforeEnd;
  private Handler<Throwable> exceptionHandler;
  private Handler<Buffer> handler;
  private Buffer held;
  private long bytes;

  /** @param beforeEnd given the body's length, what must succeed before its last chunk and end are passed on */
  public EndAfter(ReadStream<Buffer> source, LongFunction<Future<Void>> beforeEnd) {
    super(source);
    this.beforeEnd = beforeEnd;
  }

  @Override
  public ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
    exceptionHandler = handler;
    return super.exceptionHandler(handler);
  }

  @Override
  public ReadStream<Buffer> handler(Handler<Buffer> handler) {
    this.handler = handler;
    source.handler(handler == null ? null : chunk -> {
      bytes += chunk.length();
      Buffer previous = held;
      held = chunk;
      if (previous != null) handler.handle(previous);
    });
    return this;
  }

  @Override
  public ReadStream<Buffer> endHandler(Handler<Void> endHandler) {
    source.endHandler(endHandler == null ? null : ended -> beforeEnd.apply(bytes).onComplete(done -> {
      if (done.failed()) {
        if (exceptionHandler != null) exceptionHandler.handle(done.cause());
        return;
      }
      if (held != null && handler != null) handler.handle(held);
      held = null;
      endHandler.handle(null);
    }));
    return this;
  }
}
