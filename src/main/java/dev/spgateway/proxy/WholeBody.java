package dev.spgateway.proxy;

import io.netty.buffer.ByteBuf;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.streams.ReadStream;
import io.vertx.httpproxy.Body;
import io.vertx.httpproxy.impl.BufferedReadStream;
import java.io.ByteArrayOutputStream;

/** A response body read whole: {@link Forwarder} sends it in one write with its head. */
record WholeBody(Buffer bytes, String mediaType) implements Body {

  /** Reads {@code body} (of declared length) to its end. */
  static Future<WholeBody> read(Body body) {
    Promise<WholeBody> read = Promise.promise();
    Buffer bytes = Buffer.buffer((int) body.length());
    ReadStream<Buffer> stream = body.stream();
    stream.exceptionHandler(read::tryFail);
    stream.endHandler(ended -> read.tryComplete(new WholeBody(bytes, body.mediaType())));
    stream.handler(bytes::appendBuffer);
    stream.resume();
    return read.future();
  }

  /** This body as {@code scanner} rewrites it. */
  WholeBody rewritten(JsonLinkScanner scanner) {
    byte[] in = bytes.getBytes();
    ByteArrayOutputStream out = new ByteArrayOutputStream(in.length + 256);
    JsonLinkScanner.Sink sink = new JsonLinkScanner.Sink() {
      @Override
      public void copy(int from, int to) {
        out.write(in, from, to - from);
      }

      @Override
      public void insert(byte[] inserted) {
        out.writeBytes(inserted);
      }
    };
    scanner.feed(in, 0, in.length, sink);
    scanner.end(sink);
    return new WholeBody(Buffer.buffer(out.toByteArray()), mediaType);
  }

  @Override
  public long length() {
    return bytes.length();
  }

  @Override
  public ReadStream<Buffer> stream() {
    return new BufferedReadStream(bytes);
  }

  /** The bytes as Netty holds them, for a search without a copy. */
  ByteBuf byteBuf() {
    return ((BufferInternal) bytes).getByteBuf();
  }
}
