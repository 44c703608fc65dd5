/*
 * The same job as BareProxy.java (and the harness's nginx) on raw Netty, without Vert.x: what leaving Vert.x's HTTP
 * server and client could buy at best. One epoll event loop; each caller connection gets its own upstream connection
 * on the same loop (wrk sends one request at a time per connection); messages aggregated (the pages are 1.2 KB).
 *   java -cp target/sp-gateway.jar bench/floor/BareNetty.java PORT UPSTREAM_PORT TOKEN_FILE
 * A floor for measurement only: no timeouts, no limits, no streaming, no hygiene.
 */
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.nio.file.Files;
import java.nio.file.Path;

public class BareNetty {
  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    int upstreamPort = Integer.parseInt(args[1]);
    AsciiString bearer = new AsciiString("Bearer " + Files.readString(Path.of(args[2])).trim());
    EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    new ServerBootstrap().group(loop).channel(EpollServerSocketChannel.class)
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel caller) {
            caller.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                new Front(caller, upstreamPort, bearer));
          }
        })
        .bind("127.0.0.1", port).sync();
    System.out.println("bare netty proxy on " + port + ", epoll");
  }

  /** One caller connection, with its own upstream connection, opened on first use. */
  static final class Front extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final Channel caller;
    private final int upstreamPort;
    private final AsciiString bearer;
    private Channel upstream;

    Front(Channel caller, int upstreamPort, AsciiString bearer) {
      super(false);
      this.caller = caller;
      this.upstreamPort = upstreamPort;
      this.bearer = bearer;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      if (!"test-key-123".equals(request.headers().get("x-api-key"))) {
        request.release();
        FullHttpResponse refused = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.FORBIDDEN);
        refused.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0);
        ctx.writeAndFlush(refused);
        return;
      }
      request.setUri(request.uri().substring("/fast".length()));
      request.headers().remove("x-api-key").set(HttpHeaderNames.AUTHORIZATION, bearer)
          .set(HttpHeaderNames.HOST, "127.0.0.1:" + upstreamPort);
      if (upstream != null) {
        upstream.writeAndFlush(request);
        return;
      }
      new Bootstrap().group(caller.eventLoop()).channel(EpollSocketChannel.class)
          .handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel channel) {
              channel.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 20),
                  new SimpleChannelInboundHandler<FullHttpResponse>(false) {
                    @Override
                    protected void channelRead0(ChannelHandlerContext upstreamCtx, FullHttpResponse response) {
                      caller.writeAndFlush(response);
                    }
                  });
            }
          })
          .connect("127.0.0.1", upstreamPort).addListener(connected -> {
            upstream = ((io.netty.channel.ChannelFuture) connected).channel();
            upstream.writeAndFlush(request);
          });
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (upstream != null) upstream.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close(); // wrk resets its connections when it stops
    }
  }
}
