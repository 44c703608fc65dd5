package dev.spgateway.audit;

import dev.spgateway.check.Problems;
import dev.spgateway.identity.ApiKeyConfig;

/** Someone allowed to read the audit log over the admin port, by a key of their own (never a caller's). */
public record AuditReaderConfig(String name, ApiKeyConfig apiKey) {

  /** True when the reader has a name and a usable key hash. */
  boolean check(String path, Problems problems) {
    if (name == null) {
      problems.add(path, "give name and apiKey, e.g. { name: ops, apiKey: { sha256: ... } }");
      return false;
    }
    return ApiKeyConfig.check(Problems.field(path, "apiKey"), apiKey, problems);
  }
}
