package dev.spgateway.proxy;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * A 1 MB JSON page in 8 KB chunks (what Vert.x hands the proxy) through the link rewriter, against the same
 * chunks passed through, and against moving the same megabyte once through a loopback TCP connection (one
 * write and one read per chunk: the kernel's share of what the gateway does to every byte it streams, a lower
 * bound of plain streaming's cost). In package {@code proxy} because the rewriter is internal to it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class LinkRewriteBenchmark {

  static final int PAGE_BYTES = 1 << 20;
  static final int CHUNK_BYTES = 8192;
  static final String ORIGIN = "https://contoso.crm.dynamics.com";

  /** dataverse: the nextLink after the rows; graph: before them; none: a page without links. */
  @Param({"dataverse", "graph", "none"})
  public String page;

  private List<Buffer> chunks;
  private Links links;
  private Upstream upstream;
  private ServerSocketChannel server;
  private SocketChannel writer;
  private SocketChannel reader;
  private final ByteBuffer socketChunk = ByteBuffer.allocateDirect(CHUNK_BYTES);

  @Setup
  public void setUp() throws IOException {
    String link = "\"@odata.nextLink\":\"" + ORIGIN + "/api/data/v9.2/accounts?$select=name&$skiptoken=%3Ccookie%20pagenumber=%222%22"
        + "%20pagingcookie=%22%253ccookie%2520page%253d%25221%2522%253e%22%20istracking=%22False%22%20/%3E\"";
    StringBuilder body = new StringBuilder("{\"@odata.context\":\"" + ORIGIN + "/api/data/v9.2/$metadata#accounts\",");
    if (page.equals("graph")) body.append(link).append(',');
    body.append("\"value\":[");
    for (int row = 0; body.length() < PAGE_BYTES - 400; row++) {
      body.append(row == 0 ? "" : ",").append("{\"@odata.etag\":\"W/\\\"").append(1000 + row).append("\\\"\",\"name\":\"Contoso ")
          .append(row).append(" \\\"Ltd\\\"\",\"revenue\":").append(row * 1.5).append(",\"tags\":[\"a\",\"b\"],\"accountid\":\"")
          .append(new UUID(row, row)).append("\"}");
    }
    body.append(']');
    if (page.equals("dataverse")) body.append(',').append(link);
    body.append('}');
    byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
    chunks = new ArrayList<>();
    for (int i = 0; i < bytes.length; i += CHUNK_BYTES) {
      chunks.add(Buffer.buffer(java.util.Arrays.copyOfRange(bytes, i, Math.min(bytes.length, i + CHUNK_BYTES))));
    }
    links = new Links("https://gateway.contoso.com");
    upstream = new Upstream("crm", UpstreamConfig.UpstreamKind.dataverse, "contoso.crm.dynamics.com", 443, true, "",
        ORIGIN + "/.default", "x-ms-service-request-id", 5000, 100000, List.of(new Upstream.LinkBase(ORIGIN, "")));
    server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
    writer = SocketChannel.open(server.getLocalAddress());
    reader = server.accept();
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    writer.close();
    reader.close();
    server.close();
  }

  /** The chunks handed on as they are: what the proxy does without the rewriter. */
  @Benchmark
  public void passThrough(Blackhole hole) {
    Source source = new Source(chunks);
    source.handler(hole::consume);
    source.run();
  }

  @Benchmark
  public void rewrite(Blackhole hole) {
    Source source = new Source(chunks);
    LinkRewriter rewriter = new LinkRewriter(source, new JsonLinkScanner(link -> links.rewrite(upstream, link)));
    rewriter.handler(hole::consume).endHandler(hole::consume);
    source.run();
  }

  /** The megabyte written to and read from a loopback TCP connection, chunk by chunk. */
  @Benchmark
  public long socketTransfer() throws IOException {
    long moved = 0;
    for (Buffer chunk : chunks) {
      socketChunk.clear();
      socketChunk.put(chunk.getBytes()).flip();
      while (socketChunk.hasRemaining()) writer.write(socketChunk);
      int expected = chunk.length();
      socketChunk.clear();
      while (expected > 0) {
        int read = reader.read(socketChunk);
        expected -= read;
        moved += read;
        if (!socketChunk.hasRemaining()) socketChunk.clear();
      }
    }
    return moved;
  }

  /** A body stream that hands out its chunks at once. */
  static final class Source implements ReadStream<Buffer> {
    private final List<Buffer> chunks;
    private Handler<Buffer> handler;
    private Handler<Void> end;

    Source(List<Buffer> chunks) {
      this.chunks = chunks;
    }

    void run() {
      for (Buffer chunk : chunks) handler.handle(chunk);
      if (end != null) end.handle(null);
    }

    @Override public ReadStream<Buffer> exceptionHandler(Handler<Throwable> h) { return this; }
    @Override public ReadStream<Buffer> handler(Handler<Buffer> h) { handler = h; return this; }
    @Override public ReadStream<Buffer> pause() { return this; }
    @Override public ReadStream<Buffer> resume() { return this; }
    @Override public ReadStream<Buffer> fetch(long amount) { return this; }
    @Override public ReadStream<Buffer> endHandler(Handler<Void> h) { end = h; return this; }
  }
}
