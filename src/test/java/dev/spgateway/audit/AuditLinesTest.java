package dev.spgateway.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Lines as the writer makes them: the time text, and each line's hash, which the next line's prev repeats. */
class AuditLinesTest {

  @Test
  void timesAreFormattedAsTheFormatterDoesAcrossSecondsAndFractions() throws Exception {
    AuditLines lines = new AuditLines(Map.of(), List.of());
    String prev = AuditLines.GENESIS;
    MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
    List<Instant> times = List.of(Instant.parse("2026-11-22T03:24:01.123456789Z"),
        Instant.parse("2026-11-22T03:24:01.000001Z"), Instant.parse("2026-11-22T03:24:01Z"),
        Instant.parse("2026-11-22T03:24:02.999999999Z"), Instant.parse("2026-12-31T23:59:59.5Z"),
        Instant.parse("2027-01-01T00:00:00.000100Z"), Instant.parse("2026-11-22T03:24:01.000010Z"));
    long seq = 1;
    for (Instant time : times) {
      String line = new String(lines.line(seq, AuditFixture.record(time, "r" + seq, "invoice-flow", "GET", "/v1.0/me",
          200), prev), StandardCharsets.UTF_8);
      assertThat(line).endsWith("\n");
      line = line.substring(0, line.length() - 1);
      assertThat(new JsonObject(line).getString("time")).isEqualTo(AuditLines.TIME.format(time));
      assertThat(AuditLines.prev(line)).isEqualTo(prev);
      assertThat(AuditLines.computeHash(line, sha256)).isEqualTo(AuditLines.claimedHash(line))
          .isEqualTo(lines.lastHash());
      prev = lines.lastHash();
      seq++;
    }
  }
}
