package dev.spgateway.audit;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;
import java.util.List;

/**
 * Where and how audit records are written. {@code file} is the file being written; rotated files sit
 * next to it. Everything else has a default that suits most operators.
 *
 * @param durability {@code buffered}: written and synced at least every {@code flushInterval};
 *     {@code strict}: a response is not completed until its record is on disk
 * @param maxFileMegabytes the active file is rotated before it grows past this, and at midnight UTC
 * @param queueSize records waiting for the writer beyond which new requests get 503 audit-unavailable
 * @param queryValues query option names whose values are recorded (by default only names are)
 */
public record AuditConfig(
    String file,
    Durability durability,
    Duration flushInterval,
    Integer maxFileMegabytes,
    Retention retention,
    Integer queueSize,
    List<String> queryValues,
    List<AuditReaderConfig> readers) {

  public enum Durability {
    @JsonProperty("buffered") BUFFERED,
    @JsonProperty("strict") STRICT
  }

  /** How long rotated files are kept: older than {@code maxAge}, or beyond the newest {@code maxFiles}, they go. */
  public record Retention(Duration maxAge, Integer maxFiles) {}

  public AuditConfig {
    if (file == null) file = "audit/audit.jsonl";
    if (durability == null) durability = Durability.BUFFERED;
    if (flushInterval == null) flushInterval = Duration.ofMillis(100);
    if (maxFileMegabytes == null) maxFileMegabytes = 100;
    if (retention == null) retention = new Retention(null, null);
    if (queueSize == null) queueSize = 65_536;
    queryValues = queryValues == null ? List.of() : List.copyOf(queryValues);
    readers = readers == null ? List.of() : List.copyOf(readers);
  }

  public static AuditConfig defaults() {
    return new AuditConfig(null, null, null, null, null, null, null, null);
  }

  public long maxFileBytes() {
    return maxFileMegabytes * 1024L * 1024L;
  }
}
