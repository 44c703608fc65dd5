package dev.spgateway.proxy;

import io.netty.buffer.ByteBuf;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.streams.ReadStream;

/**
 * A response body stream with the upstream's paging links rewritten ({@link JsonLinkScanner}) as it
 * passes: a chunk with nothing to change is passed on as the same buffer; only a chunk holding (part
 * of) a link is copied. A link split across chunks is held until its end arrives, so a chunk may pass
 * on nothing; memory is one chunk plus at most one link.
 */
final class LinkRewriter extends PassingStream implements JsonLinkScanner.Sink {

  private final JsonLinkScanner scanner;
  private Handler<Buffer> handler;
  /** Scratch copy of a chunk whose bytes are not on the heap. */
  private byte[] scratch = new byte[0];
  // The chunk being scanned, and what it becomes.
  private Buffer chunk;
  private Buffer out;
  private boolean whole;

  LinkRewriter(ReadStream<Buffer> source, JsonLinkScanner scanner) {
    super(source);
    this.scanner = scanner;
  }

  @Override
  public ReadStream<Buffer> handler(Handler<Buffer> handler) {
    this.handler = handler;
    source.handler(handler == null ? null : this::chunk);
    return this;
  }

  private void chunk(Buffer buffer) {
    if (scanner.passing()) {
      handler.handle(buffer);
      return;
    }
    chunk = buffer;
    out = null;
    whole = false;
    ByteBuf bytes = ((BufferInternal) buffer).getByteBuf();
    int length = bytes.readableBytes();
    if (bytes.hasArray()) {
      scanner.feed(bytes.array(), bytes.arrayOffset() + bytes.readerIndex(), length, this);
    } else {
      if (scratch.length < length) scratch = new byte[Math.max(length, 8192)];
      bytes.getBytes(bytes.readerIndex(), scratch, 0, length);
      scanner.feed(scratch, 0, length, this);
    }
    Buffer result = whole ? buffer : out;
    chunk = null;
    out = null;
    if (result != null && result.length() > 0) {
      handler.handle(result);
    } else {
      source.fetch(1); // nothing to pass on yet (a link is held): ask for the next chunk instead
    }
  }

  @Override
  public void copy(int from, int to) {
    if (from == 0 && to == chunk.length() && out == null) {
      whole = true;
      return;
    }
    out().appendBuffer(chunk, from, to - from);
  }

  @Override
  public void insert(byte[] bytes) {
    out().appendBytes(bytes);
  }

  private Buffer out() {
    if (out == null) {
      out = Buffer.buffer();
      if (whole) out.appendBuffer(chunk);
      whole = false;
    }
    return out;
  }

  @Override
  public ReadStream<Buffer> endHandler(Handler<Void> endHandler) {
    source.endHandler(endHandler == null ? null : ended -> {
      Buffer rest = Buffer.buffer();
      scanner.end(new JsonLinkScanner.Sink() {
        @Override
        public void copy(int from, int to) {
          throw new IllegalStateException("no chunk at the end");
        }

        @Override
        public void insert(byte[] bytes) {
          rest.appendBytes(bytes);
        }
      });
      if (rest.length() > 0 && handler != null) handler.handle(rest);
      endHandler.handle(null);
    });
    return this;
  }
}
