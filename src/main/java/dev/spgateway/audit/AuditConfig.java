package dev.spgateway.audit;

import static dev.spgateway.check.Problems.field;
import static dev.spgateway.check.Problems.index;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.spgateway.check.Problems;
import java.nio.file.Files;
import java.nio.file.Path;
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

  /** The section's own fields; that no reader holds a caller's key is checked by config. */
  public void check(String path, Problems problems) {
    if (file.isBlank() || file.equals("-")) {
      problems.add(field(path, "file"), "give the path of the audit log file, e.g. /var/lib/sp-gateway/audit/audit.jsonl "
          + "(it is rotated, synced and verified, so standard output cannot be used)");
    } else {
      Path parent = Path.of(file).toAbsolutePath().getParent();
      if (Files.exists(parent) && !Files.isWritable(parent)) {
        problems.add(field(path, "file"), "the directory " + parent + " is not writable; give the gateway write access or another path");
      }
    }
    if (flushInterval.isZero() || flushInterval.compareTo(Duration.ofSeconds(1)) > 0) {
      problems.add(field(path, "flushInterval"), "must be between 1ms and 1s (default 100ms): records wait in memory this long at most");
    }
    if (maxFileMegabytes < 1 || maxFileMegabytes > 1024) {
      problems.add(field(path, "maxFileMegabytes"), maxFileMegabytes + " is out of range; use 1-1024 (default 100)");
    }
    if (queueSize < 1) problems.add(field(path, "queueSize"), "must be at least 1 (default 65536)");
    if (retention.maxAge() != null && retention.maxAge().compareTo(Duration.ofHours(1)) < 0) {
      problems.add(field(path, "retention.maxAge"), "is shorter than 1h; write e.g. 90d, or leave it out to keep files forever");
    }
    if (retention.maxFiles() != null && retention.maxFiles() < 1) {
      problems.add(field(path, "retention.maxFiles"), "must be at least 1, or left out to keep every file");
    }
    for (int i = 0; i < queryValues.size(); i++) {
      String name = queryValues.get(i);
      if (name == null || name.isBlank()) {
        problems.add(index(field(path, "queryValues"), i), "is empty; name a query option such as $top");
      } else if (AuditLines.isSecretLooking(name)) {
        problems.add(index(field(path, "queryValues"), i), "'" + name + "' looks like it carries a secret, and its value "
            + "is never recorded; remove it");
      }
    }
    for (int i = 0; i < readers.size(); i++) {
      AuditReaderConfig reader = readers.get(i);
      String at = index(field(path, "readers"), i);
      if (reader == null) problems.add(at, "give name and apiKey, e.g. { name: ops, apiKey: { sha256: ... } }");
      else reader.check(at, problems);
    }
  }

  public long maxFileBytes() {
    return maxFileMegabytes * 1024L * 1024L;
  }
}
