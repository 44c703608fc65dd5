package dev.spgateway.audit;

/** Where audit records go: a file path, or {@code "-"} for standard output. */
public record AuditConfig(String file) {

  public AuditConfig {
    if (file == null) file = "audit/audit.jsonl";
  }

  public static AuditConfig defaults() {
    return new AuditConfig(null);
  }
}
