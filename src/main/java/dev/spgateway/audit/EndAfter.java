package dev.spgateway.audit;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.util.function.Supplier;

/**
 * A body stream whose end waits for a future: piped into a response, the response is completed only
 * once {@code beforeEnd} has succeeded (strict audit: the record is on disk first). If it fails, the
 * stream fails, and the pipe resets the response rather than completing it.
 */
public final class EndAfter implements ReadStream<Buffer> {

  private final ReadStream<Buffer> source;
  private final Supplier<Future<Void>> beforeEnd;
  private Handler<Throwable> exceptionHandler;

  public EndAfter(ReadStream<Buffer> source, Supplier<Future<Void>> beforeEnd) {
    this.source = source;
    this.beforeEnd = beforeEnd;
  }

  @Override
  public ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
    exceptionHandler = handler;
    source.exceptionHandler(handler);
    return this;
  }

  @Override
  public ReadStream<Buffer> handler(Handler<Buffer> handler) {
    source.handler(handler);
    return this;
  }

  @Override
  public ReadStream<Buffer> pause() {
    source.pause();
    return this;
  }

  @Override
  public ReadStream<Buffer> resume() {
    source.resume();
    return this;
  }

  @Override
  public ReadStream<Buffer> fetch(long amount) {
    source.fetch(amount);
    return this;
  }

  @Override
  public ReadStream<Buffer> endHandler(Handler<Void> endHandler) {
    source.endHandler(endHandler == null ? null : ended -> beforeEnd.get().onComplete(done -> {
      if (done.succeeded()) endHandler.handle(null);
      else if (exceptionHandler != null) exceptionHandler.handle(done.cause());
    }));
    return this;
  }
}
