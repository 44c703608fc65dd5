package dev.spgateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Answers read whole are bounded together: past the limit a page streams, and what is given back can be taken again. */
class WholeBodiesLimitTest {

  @Test
  void aReservationPastTheLimitIsRefusedAndLeavesNothingBehind() {
    AtomicLong beingRead = new AtomicLong();
    long limit = Forwarder.WHOLE_BODIES_LIMIT;
    int pages = (int) (limit / Forwarder.WHOLE_BODY_LIMIT);
    for (int i = 0; i < pages; i++) {
      assertThat(Forwarder.reserve(beingRead, Forwarder.WHOLE_BODY_LIMIT, limit)).as("page %d", i).isTrue();
    }
    assertThat(Forwarder.reserve(beingRead, 1, limit)).as("one byte over").isFalse();
    assertThat(beingRead.get()).isEqualTo(limit);
    beingRead.addAndGet(-Forwarder.WHOLE_BODY_LIMIT); // one page sent
    assertThat(Forwarder.reserve(beingRead, Forwarder.WHOLE_BODY_LIMIT, limit)).isTrue();
    assertThat(Forwarder.reserve(beingRead, 1, limit)).isFalse();
  }
}
