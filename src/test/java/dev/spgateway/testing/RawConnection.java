package dev.spgateway.testing;

import static dev.spgateway.testing.Await.await;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * One TCP connection that sends bytes exactly as written (nothing on the client side tidies a request) and
 * collects what comes back, one char a byte. Tests read it top to bottom: {@link #write}, then
 * {@link #awaitResponse} or {@link #awaitClose}.
 */
public final class RawConnection implements AutoCloseable {

  private final NetSocket socket;
  private final StringBuilder received = new StringBuilder();
  private final List<Waiter<?>> waiters = new ArrayList<>();
  private final Promise<String> closed = Promise.promise();

  private record Waiter<T>(Function<String, T> complete, Promise<T> promise) {}

  private RawConnection(NetSocket socket) {
    this.socket = socket;
    socket.handler(chunk -> {
      synchronized (this) {
        received.append(chunk.toString(StandardCharsets.ISO_8859_1));
        check();
      }
    });
    socket.closeHandler(done -> {
      synchronized (this) {
        closed.tryComplete(received.toString());
        waiters.forEach(waiter -> waiter.promise().tryFail("connection closed; received: " + received));
        waiters.clear();
      }
    });
  }

  public static RawConnection open(Vertx vertx, NetClient client, int port) {
    return new RawConnection(await(client.connect(port, "127.0.0.1")));
  }

  /** Writes {@code text} as ISO-8859-1 bytes (so a test can send any byte). */
  public RawConnection write(String text) {
    await(socket.write(Buffer.buffer(text.getBytes(StandardCharsets.ISO_8859_1))));
    return this;
  }

  /** Everything received so far. */
  public synchronized String received() {
    return received.toString();
  }

  /** Waits for a complete final (non-1xx) response, and removes it (and any 1xx before it) from what was received. */
  public RawResponse awaitResponse() {
    return awaitText(text -> {
      RawResponse response = RawResponse.parse(text);
      if (response != null) received.delete(0, response.length());
      return response;
    });
  }

  /** Waits until {@code complete} returns a value for what has been received (it is called under this lock). */
  public <T> T awaitText(Function<String, T> complete) {
    Promise<T> promise = Promise.promise();
    synchronized (this) {
      T now = complete.apply(received.toString());
      if (now != null) return now;
      if (closed.future().isComplete()) throw new AssertionError("connection closed; received: " + received);
      waiters.add(new Waiter<>(complete, promise));
    }
    return await(promise.future());
  }

  /** Waits until the gateway closes the connection; returns everything received. */
  public String awaitClose() {
    return await(closed.future());
  }

  private void check() {
    waiters.removeIf(waiter -> complete(waiter));
  }

  private <T> boolean complete(Waiter<T> waiter) {
    T value = waiter.complete().apply(received.toString());
    if (value == null) return false;
    waiter.promise().tryComplete(value);
    return true;
  }

  @Override
  public void close() {
    socket.close();
  }
}
