package dev.spgateway.proxy;

import io.netty.buffer.ByteBuf;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.streams.ReadStream;
import java.io.ByteArrayOutputStream;

/** An answer body read whole: {@link Forwarder} sends it in one write with its head. */
public record WholeBody(Buffer bytes) implements Body {

  /** Reads {@code body} to its end; a body that comes in one chunk is kept as that chunk. */
  static Future<WholeBody> read(Body.Streamed body) {
    Promise<WholeBody> read = Promise.promise();
    ReadStream<Buffer> stream = body.stream();
    Buffer[] whole = new Buffer[1];
    boolean[] gathering = new boolean[1];
    stream.exceptionHandler(read::tryFail);
    stream.endHandler(ended -> read.tryComplete(new WholeBody(whole[0] == null ? Buffer.buffer() : whole[0])));
    stream.handler(chunk -> {
      if (whole[0] == null) {
        whole[0] = chunk;
        return;
      }
      if (!gathering[0]) {
        whole[0] = Buffer.buffer((int) Math.max(body.length(), 0)).appendBuffer(whole[0]); // length -1: not declared
        gathering[0] = true;
      }
      whole[0].appendBuffer(chunk);
    });
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
    return new WholeBody(Buffer.buffer(out.toByteArray()));
  }

  @Override
  public long length() {
    return bytes.length();
  }

  /** The bytes as Netty holds them, for a search without a copy. */
  ByteBuf byteBuf() {
    return ((BufferInternal) bytes).getByteBuf();
  }
}
