package dev.spgateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.streams.ReadStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The body stream wrapper: heap and direct buffers, a nextLink cut at every byte, chunks passed on as they are. */
class LinkRewriterTest {

  static final String UPSTREAM = "https://contoso.crm.dynamics.com";

  /** A source that hands out the given chunks when asked to, and counts fetches. */
  static final class Chunks implements ReadStream<Buffer> {
    final List<Buffer> chunks;
    Handler<Buffer> handler;
    Handler<Void> end;
    int fetched;

    Chunks(List<Buffer> chunks) {
      this.chunks = chunks;
    }

    void run() {
      chunks.forEach(handler::handle);
      end.handle(null);
    }

    @Override public ReadStream<Buffer> exceptionHandler(Handler<Throwable> h) { return this; }
    @Override public ReadStream<Buffer> handler(Handler<Buffer> h) { handler = h; return this; }
    @Override public ReadStream<Buffer> pause() { return this; }
    @Override public ReadStream<Buffer> resume() { return this; }
    @Override public ReadStream<Buffer> fetch(long amount) { fetched++; return this; }
    @Override public ReadStream<Buffer> endHandler(Handler<Void> h) { end = h; return this; }
  }

  static Buffer direct(byte[] bytes) {
    ByteBuf buf = Unpooled.directBuffer(bytes.length + 8);
    buf.writeBytes(new byte[3]).readerIndex(3); // not at the start of its memory
    buf.writeBytes(bytes);
    return BufferInternal.buffer(buf);
  }

  static List<Buffer> rewrite(List<Buffer> chunks) {
    Chunks source = new Chunks(chunks);
    LinkRewriter rewriter = new LinkRewriter(source,
        new JsonLinkScanner(link -> link.startsWith(UPSTREAM) ? "https://gw" + link.substring(UPSTREAM.length()) : null));
    List<Buffer> out = new ArrayList<>();
    boolean[] ended = new boolean[1];
    rewriter.handler(out::add).endHandler(done -> ended[0] = true);
    source.run();
    assertThat(ended[0]).isTrue();
    return out;
  }

  @Test
  void aNextLinkCutAtEveryByteOfHeapOrDirectBuffersIsRewritten() {
    String body = "{\"value\":[{\"a\":\"]}\\\"\"}],\"@odata.nextLink\":\"" + UPSTREAM + "/api/data/v9.2/accounts?$skiptoken=%3Ccookie%20"
        + "pagingcookie=%22%253ccookie%22%20/%3E\"}";
    String expected = body.replace(UPSTREAM, "https://gw");
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    for (int cut = 0; cut <= bytes.length; cut++) {
      for (boolean isDirect : new boolean[] {false, true}) {
        byte[] first = java.util.Arrays.copyOfRange(bytes, 0, cut);
        byte[] second = java.util.Arrays.copyOfRange(bytes, cut, bytes.length);
        List<Buffer> in = List.of(isDirect ? direct(first) : Buffer.buffer(first), isDirect ? direct(second) : Buffer.buffer(second));
        Buffer joined = Buffer.buffer();
        rewrite(in).forEach(joined::appendBuffer);
        assertThat(joined.toString(StandardCharsets.UTF_8)).as("cut at %d, direct %s", cut, isDirect).isEqualTo(expected);
      }
    }
  }

  @Test
  void chunksWithoutALinkArePassedOnAsTheSameBuffers() {
    Buffer first = Buffer.buffer("{\"value\":[1,2,");
    Buffer second = Buffer.buffer("3],\"x\":\"" + UPSTREAM + "\"}");
    List<Buffer> out = rewrite(List.of(first, second));
    assertThat(out).hasSize(2);
    assertThat(out.get(0)).isSameAs(first);
    assertThat(out.get(1)).isSameAs(second);
  }
}
