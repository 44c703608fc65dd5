package dev.spgateway.ratelimit;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * At most {@code limit} requests in flight per key (a service principal on one Dataverse environment),
 * up to {@code queue} more waiting in arrival order, each for at most {@code queueTimeout}. Within one
 * gateway process: with several replicas, give each its share of Dataverse's 52.
 */
final class ConcurrencyLimiter {

  private final Vertx vertx;
  private final int limit;
  private final int queue;
  private final long queueTimeoutMillis;
  private final Map<String, Slots> slots = new ConcurrentHashMap<>();

  ConcurrencyLimiter(Vertx vertx, int limit, int queue, Duration queueTimeout) {
    this.vertx = vertx;
    this.limit = limit;
    this.queue = queue;
    this.queueTimeoutMillis = Math.max(1, queueTimeout.toMillis());
  }

  /** A permit at once, or after a wait in the queue; {@code null} when the queue is full or the wait ran out. */
  Future<Permit> acquire(String key) {
    return slots.computeIfAbsent(key, k -> new Slots()).acquire();
  }

  int inFlight(String key) {
    Slots s = slots.get(key);
    return s == null ? 0 : s.inFlight();
  }

  /** Released exactly once, however often {@link #release()} is called. */
  final class Permit {

    private final Slots owner;
    private final AtomicBoolean released = new AtomicBoolean();

    private Permit(Slots owner) {
      this.owner = owner;
    }

    void release() {
      if (released.compareAndSet(false, true)) owner.release();
    }
  }

  private final class Slots {

    private int inFlight;
    private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();

    Future<Permit> acquire() {
      Waiter waiter;
      synchronized (this) {
        if (inFlight < limit) {
          inFlight++;
          return Future.succeededFuture(new Permit(this));
        }
        if (waiting.size() >= queue) return Future.succeededFuture(null);
        waiter = new Waiter(vertx.getOrCreateContext(), Promise.promise());
        waiting.add(waiter);
      }
      waiter.timer = vertx.setTimer(queueTimeoutMillis, fired -> {
        boolean gaveUp;
        synchronized (this) {
          gaveUp = waiting.remove(waiter);
        }
        if (gaveUp) waiter.promise.complete(null);
      });
      return waiter.promise.future();
    }

    /** The slot goes to the first waiter, if any, else back to the pool. */
    void release() {
      Waiter next;
      synchronized (this) {
        next = waiting.poll();
        if (next == null) inFlight--;
      }
      if (next != null) {
        vertx.cancelTimer(next.timer);
        Permit permit = new Permit(this);
        next.context.runOnContext(go -> next.promise.complete(permit));
      }
    }

    synchronized int inFlight() {
      return inFlight;
    }
  }

  private static final class Waiter {

    final Context context;
    final Promise<Permit> promise;
    volatile long timer;

    Waiter(Context context, Promise<Permit> promise) {
      this.context = context;
      this.promise = promise;
    }
  }
}
