/*
 * The floor under sp-gateway's cost per request: the same job as the harness's nginx (X-Api-Key checked, a 1.5 KB
 * bearer put in, keep-alive to the upstream, the answer streamed back) on the same Vert.x, Netty epoll and threads
 * as the gateway, with nothing else: no policy, budgets, token cache, audit, metrics, hygiene or link rewriting.
 * Run from the project's root with the shaded jar on the class path (bench/ab.sh does):
 *   java -cp target/sp-gateway.jar bench/floor/BareProxy.java MODE PORT UPSTREAM_PORT TOKEN_FILE
 * MODE: "client" (Vert.x's HttpClient, headers copied once each way) or "httpproxy" (vertx-http-proxy, as the
 * gateway's Forwarder uses it). Requests arrive as /fast/...; "/fast" is taken off, as the gateway does.
 */
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.httpproxy.HttpProxy;
import io.vertx.httpproxy.ProxyContext;
import io.vertx.httpproxy.ProxyInterceptor;
import io.vertx.httpproxy.ProxyResponse;
import io.netty.util.AsciiString;
import java.nio.file.Files;
import java.nio.file.Path;

public class BareProxy {
  public static void main(String[] args) throws Exception {
    String mode = args[0];
    int port = Integer.parseInt(args[1]);
    int upstreamPort = Integer.parseInt(args[2]);
    AsciiString bearer = new AsciiString("Bearer " + Files.readString(Path.of(args[3])).trim());
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(1));
    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(64));
    Handler<HttpServerRequest> forward = mode.equals("httpproxy") ? viaHttpProxy(client, upstreamPort, bearer)
        : viaClient(client, upstreamPort, bearer);
    vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port))
        .requestHandler(request -> {
          if (!"test-key-123".equals(request.getHeader("x-api-key"))) {
            request.response().setStatusCode(403).end();
            return;
          }
          forward.handle(request);
        })
        .listen().await();
    System.out.println("bare " + mode + " proxy on " + port + (vertx.isNativeTransportEnabled() ? ", epoll" : ""));
  }

  private static Handler<HttpServerRequest> viaClient(HttpClient client, int upstreamPort, AsciiString bearer) {
    return request -> {
      request.pause();
      client.request(new RequestOptions().setHost("127.0.0.1").setPort(upstreamPort).setMethod(request.method())
              .setURI(request.uri().substring("/fast".length())))
          .compose(upstream -> {
            upstream.headers().setAll(request.headers()).remove("x-api-key").remove("host");
            upstream.putHeader("authorization", bearer);
            return upstream.send(request);
          })
          .onSuccess(answer -> {
            var response = request.response().setStatusCode(answer.statusCode());
            response.headers().setAll(answer.headers());
            answer.pipeTo(response);
          })
          .onFailure(failure -> request.response().setStatusCode(502).end());
    };
  }

  private static Handler<HttpServerRequest> viaHttpProxy(HttpClient client, int upstreamPort, AsciiString bearer) {
    HttpProxy proxy = HttpProxy.reverseProxy(client).origin(upstreamPort, "127.0.0.1");
    proxy.addInterceptor(new ProxyInterceptor() {
      @Override
      public Future<ProxyResponse> handleProxyRequest(ProxyContext context) {
        var request = context.request();
        request.setURI(request.getURI().substring("/fast".length()));
        request.headers().remove("x-api-key");
        request.putHeader("authorization", bearer.toString());
        return context.sendRequest();
      }
    });
    return proxy;
  }
}
