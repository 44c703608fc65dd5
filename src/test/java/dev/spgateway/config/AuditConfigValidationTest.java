package dev.spgateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spgateway.audit.AuditConfig;
import dev.spgateway.config.ConfigException.ConfigProblem;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The audit section: defaults, and each mistake named at its path with the fix. */
class AuditConfigValidationTest {

  final ConfigLoader loader = new ConfigLoader(Map.<String, String>of()::get);

  @Test
  void bindsTheAuditSectionAndFillsDefaults() {
    AuditConfig defaults = loader.parse("gateway.yaml", ConfigLoaderTest.VALID).audit();
    assertThat(defaults.durability()).isEqualTo(AuditConfig.Durability.BUFFERED);
    assertThat(defaults.flushInterval()).isEqualTo(Duration.ofMillis(100));
    assertThat(defaults.maxFileMegabytes()).isEqualTo(100);

    AuditConfig audit = loader.parse("gateway.yaml", ConfigLoaderTest.VALID + """
        audit:
          file: /var/lib/sp-gateway/audit.jsonl
          durability: strict
          flushInterval: 50ms
          retention: { maxAge: 90d, maxFiles: 200 }
          queryValues: [ $top ]
          readers: [ { name: ops, apiKey: { sha256: %s } } ]
        """.formatted("ab".repeat(32))).audit();
    assertThat(audit.durability()).isEqualTo(AuditConfig.Durability.STRICT);
    assertThat(audit.retention().maxAge()).isEqualTo(Duration.ofDays(90));
    assertThat(audit.readers()).singleElement().satisfies(reader -> assertThat(reader.name()).isEqualTo("ops"));
  }

  @Test
  void mistakesAreNamedAtTheirPathWithTheFix() {
    String yaml = ConfigLoaderTest.VALID + """
        audit:
          file: "-"
          flushInterval: 5s
          maxFileMegabytes: 4096
          retention: { maxAge: 10m, maxFiles: 0 }
          queryValues: [ $top, access_token ]
          readers: [ { name: ops, apiKey: { sha256: %s } } ]
        """.formatted(ConfigLoaderTest.KEY_HASH);
    assertThatThrownBy(() -> loader.parse("gateway.yaml", yaml)).isInstanceOfSatisfying(ConfigException.class, e ->
        assertThat(e.problems()).extracting(ConfigProblem::toString).containsExactlyInAnyOrder(
            "audit.file: give the path of the audit log file, e.g. /var/lib/sp-gateway/audit/audit.jsonl (it is "
                + "rotated, synced and verified, so standard output cannot be used)",
            "audit.flushInterval: must be between 1ms and 1s (default 100ms): records wait in memory this long at most",
            "audit.maxFileMegabytes: 4096 is out of range; use 1-1024 (default 100)",
            "audit.retention.maxAge: is shorter than 1h; write e.g. 90d, or leave it out to keep files forever",
            "audit.retention.maxFiles: must be at least 1, or left out to keep every file",
            "audit.queryValues[1]: 'access_token' looks like it carries a secret, and its value is never recorded; "
                + "remove it",
            "audit.readers[0].apiKey: is a caller's key; give the audit reader a key of its own (`sp-gateway hash-key`)"));
  }

  @Test
  void anUnknownDurabilityIsRefused() {
    assertThatThrownBy(() -> loader.parse("gateway.yaml", ConfigLoaderTest.VALID + "audit: { durability: lazy }\n"))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
            .anySatisfy(problem -> assertThat(problem.path()).isEqualTo("audit.durability")));
  }
}
