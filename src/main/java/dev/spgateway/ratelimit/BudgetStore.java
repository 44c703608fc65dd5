package dev.spgateway.ratelimit;

import io.vertx.core.Future;
import java.util.List;

/**
 * Where budgets live. Each decision is atomic: a request is taken from all its limits or from none, so
 * a refusal by one limit never spends another.
 */
public interface BudgetStore {

  /**
   * Takes {@code cost} from every one of {@code limits} at {@code nowMicros}, unless {@code holdKey} is
   * on hold or one of them has too little left.
   */
  Future<Verdict> take(String holdKey, List<Limit> limits, int cost, long nowMicros);

  /** Holds {@code holdKey} until {@code untilMicros}, or longer if it is held longer already. */
  Future<Void> hold(String holdKey, long nowMicros, long untilMicros);

  default Future<Void> close() {
    return Future.succeededFuture();
  }
}
