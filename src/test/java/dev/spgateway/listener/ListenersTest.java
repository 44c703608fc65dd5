package dev.spgateway.listener;

import static dev.spgateway.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.check.Problems;
import dev.spgateway.gateway.Gateway;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The listener as Gateway opens it: one copy per event loop, one port, each connection served by one loop. */
class ListenersTest {

  final Vertx vertx = Vertx.vertx(Gateway.vertxOptions());

  @AfterEach
  void stop() {
    await(vertx.close());
  }

  @Test
  void theGatewaysVertxUsesNettysNativeTransport() {
    assertThat(vertx.isNativeTransportEnabled())
        .as("epoll on Linux x86_64 (%s)", vertx.unavailableNativeTransportCause()).isTrue();
  }

  @Test
  void fourEventLoopsServeOnePortAndEachRequestStaysOnTheLoopThatAcceptedIt() {
    Set<String> copies = ConcurrentHashMap.newKeySet();
    ListenerConfig config = loops(4);
    Listeners.Listener listener = await(Listeners.deploy(vertx, config, guard(config), () -> {
      String copyThread = Thread.currentThread().getName(); // the handler is built on its copy's loop
      copies.add(copyThread);
      return request -> request.response().end(copyThread + " " + Thread.currentThread().getName());
    }));
    assertThat(copies).hasSize(4).allMatch(name -> name.startsWith("vert.x-eventloop-thread-"));

    // Eight connections at once: the listener hands them to its four copies in turn.
    HttpClient client = vertx.createHttpClient(new HttpClientOptions(), new PoolOptions().setHttp1MaxSize(8));
    List<Future<String>> answers = new ArrayList<>();
    IntStream.range(0, 8).forEach(i -> answers.add(client.request(HttpMethod.GET, listener.port(), "127.0.0.1", "/")
        .compose(request -> request.send().compose(response -> response.body())).map(Buffer::toString)));
    List<String> served = answers.stream().map(answer -> await(answer)).toList();

    assertThat(served).allSatisfy(answer -> {
      String[] threads = answer.split(" ");
      assertThat(threads[1]).as("request handled on its copy's loop").isEqualTo(threads[0]);
    });
    assertThat(served.stream().map(answer -> answer.split(" ")[1]).collect(Collectors.toSet()))
        .as("every loop served connections").isEqualTo(copies);

    await(listener.close());
    assertThat(await(vertx.createNetClient().connect(listener.port(), "127.0.0.1").map(socket -> "connected")
        .otherwise(failure -> "refused"))).as("closed with its copies").isEqualTo("refused");
  }

  @Test
  void twoListenersOnRandomPortsDoNotShareOne() {
    ListenerConfig config = loops(2);
    Listeners.Listener first = await(Listeners.deploy(vertx, config, guard(config),
        () -> request -> request.response().end("1")));
    Listeners.Listener second = await(Listeners.deploy(vertx, config, guard(config),
        () -> request -> request.response().end("2")));
    assertThat(first.port()).isPositive().isNotEqualTo(second.port());
  }

  private static ListenerConfig loops(int eventLoops) {
    return new ListenerConfig("127.0.0.1", 0, null, null, null, null, null, null, eventLoops);
  }

  private ConnectionGuard guard(ListenerConfig config) {
    return new ConnectionGuard(vertx, config, (peer, method, target, status, type, reason) -> "refused");
  }

  @Test
  void eventLoopsDefaultToTheProcessorsAndAreChecked() {
    assertThat(ListenerConfig.defaults().eventLoops()).isEqualTo(Runtime.getRuntime().availableProcessors());
    List<String> problems = new ArrayList<>();
    Problems collect = (path, message) -> problems.add(path + ": " + message);
    new ListenerConfig("127.0.0.1", null, null, null, null, null, null, null, 0).check("listener", collect);
    new ListenerConfig("127.0.0.1", null, null, null, null, null, null, null, 4).check("listener", collect);
    assertThat(problems).containsExactly(
        "listener.eventLoops: 0 event loops: use 1-256, usually the number of cores (leave it out to use every core "
            + "this process may use)");
  }
}
