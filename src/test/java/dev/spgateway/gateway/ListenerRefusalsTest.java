package dev.spgateway.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.audit.AuditLog;
import dev.spgateway.audit.AuditRecord;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A flood of listener refusals cannot fill the disk: 20 records a second, and the next one says how many were not. */
class ListenerRefusalsTest {

  final List<AuditRecord> records = new ArrayList<>();
  final AuditLog audit = new AuditLog() {
    @Override public boolean admits() { return true; }
    @Override public void append(AuditRecord record) { records.add(record); }
    @Override public Future<Void> appendDurably(AuditRecord record) { records.add(record); return Future.succeededFuture(); }
    @Override public boolean strict() { return false; }
    @Override public Future<Void> close() { return Future.succeededFuture(); }
    @Override public void clientIds(java.util.Map<String, String> clientIds) {}
  };

  @Test
  void recordsAtMostFiveASecondFromOneAddressAndCountsTheRest() {
    AtomicLong now = new AtomicLong(0);
    ListenerRefusals refusals = new ListenerRefusals(audit, now::get);
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      ids.add(refusals.refused("10.0.0.9:" + (4000 + i), "GET", "/x\u00e9", 431, "headers-too-large", "too large"));
    }
    assertThat(ids).doesNotContainNull().doesNotHaveDuplicates();
    assertThat(records).hasSize(ListenerRefusals.PER_ADDRESS_PER_SECOND);
    assertThat(records.get(0).reason()).isEqualTo("from 10.0.0.9:4000: too large");
    assertThat(records.get(0).path()).isEqualTo("/x%E9");
    assertThat(records.get(0).status()).isEqualTo(431);
    assertThat(records.get(0).requestId()).isEqualTo(ids.get(0));

    now.addAndGet(1_000_000_000L);
    refusals.refused("10.0.0.9:5000", null, null, 408, "request-header-timeout", "slow");
    assertThat(records).hasSize(ListenerRefusals.PER_ADDRESS_PER_SECOND + 1);
    assertThat(records.get(records.size() - 1).reason()).isEqualTo("from 10.0.0.9:5000: slow (95 more refusals by the "
        + "listener were not recorded: over 20 a second, or 5 from one address)");
  }

  @Test
  void oneFloodingAddressDoesNotHideTheOthersAndTwentyASecondIsTheCeiling() {
    AtomicLong now = new AtomicLong(0);
    ListenerRefusals refusals = new ListenerRefusals(audit, now::get);
    for (int i = 0; i < 1_000; i++) refusals.refused("203.0.113.7:" + (1024 + i), "GET", "/", 400, "malformed-request", "x");
    refusals.refused("2001:db8::5:443", "GET", "/", 431, "headers-too-large", "y");
    refusals.refused("198.51.100.4:6000", "GET", "/", 414, "target-too-long", "z");
    assertThat(records).extracting(AuditRecord::reason).filteredOn(reason -> reason.startsWith("from 203.0.113.7:"))
        .hasSize(ListenerRefusals.PER_ADDRESS_PER_SECOND);
    assertThat(records).extracting(AuditRecord::reason)
        .anySatisfy(reason -> assertThat(reason).startsWith("from 2001:db8::5:443: y (995 more refusals"))
        .anySatisfy(reason -> assertThat(reason).isEqualTo("from 198.51.100.4:6000: z"));

    now.addAndGet(1_000_000_000L);
    records.clear();
    for (int peer = 0; peer < 10; peer++) {
      for (int i = 0; i < 10; i++) refusals.refused("192.0.2." + peer + ":" + (2000 + i), "GET", "/", 400, "malformed-request", "x");
    }
    assertThat(records).hasSize(ListenerRefusals.PER_SECOND);
  }
}
