package dev.spgateway.audit;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Writers and records for the audit tests. */
final class AuditFixture {

  static final String CLIENT_ID = "1b4c0000-0000-4000-8000-00000000a11c";

  private AuditFixture() {}

  static AuditConfig config(Path file, AuditConfig.Durability durability, int maxMegabytes,
      AuditConfig.Retention retention, int queueSize) {
    return new AuditConfig(file.toString(), durability, null, maxMegabytes, retention, queueSize,
        List.of("$top", "$select", "access_token"), List.of());
  }

  static AuditConfig config(Path file) {
    return config(file, AuditConfig.Durability.BUFFERED, 1, null, 1000);
  }

  static AuditWriter writer(AuditConfig config, AuditWriter.Disk disk, Clock clock) {
    return new AuditWriter(config, Map.of("finance", CLIENT_ID), new SimpleMeterRegistry(), disk, clock);
  }

  static AuditWriter writer(AuditConfig config) {
    return writer(config, new FlakyDisk(), Clock.systemUTC());
  }

  /** A forwarded or denied request by {@code caller}. */
  static AuditRecord record(Instant time, String requestId, String caller, String method, String path, int status) {
    boolean denied = status >= 400;
    return new AuditRecord(time, requestId, caller, "api-key", denied ? null : "finance", "graph", method, path,
        List.of("$top", "$select"), "$top=5&$select=displayName&access_token=s3cr3t-t0ken-value", denied ? null : "routes[0].allow[0]",
        denied ? "denied" : "forwarded", denied ? "route-denied" : null, denied ? "no rule allows it" : null, "allowed",
        status, 0, 120, 12.5, denied ? null : 3.0, denied ? null : 8.0, denied ? null : "up-" + requestId, List.of());
  }

  static AuditRecord record(int i) {
    return record(Instant.parse("2026-11-22T00:00:00Z").plusMillis(i * 10L), "req-" + i,
        i % 3 == 0 ? "invoice-flow" : "hr-sync", i % 2 == 0 ? "GET" : "POST", "/v1.0/users/" + i,
        i % 5 == 0 ? 403 : 200);
  }
}
