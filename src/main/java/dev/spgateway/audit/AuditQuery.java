package dev.spgateway.audit;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Which records to find; every filter given must hold. {@code from} is inclusive, {@code to} exclusive;
 * {@code status} is exact ({@code 404}) or a class ({@code 4xx}); {@code outcome} is the decision
 * ({@code forwarded}, {@code denied}, {@code failed}, {@code refused}); {@code path} is a prefix.
 */
public record AuditQuery(Instant from, Instant to, String caller, String servicePrincipal, String upstream,
    String method, String path, String status, String outcome, String requestId) {

  /** The parameter names, as the CLI's options and the admin API's query parameters spell them. */
  public static final List<String> PARAMETERS =
      List.of("from", "to", "caller", "servicePrincipal", "upstream", "method", "path", "status", "outcome", "requestId");

  public AuditQuery {
    if (method != null) method = method.toUpperCase(Locale.ROOT);
    if (status != null && !status.matches("[1-5]([0-9]{2}|xx)")) {
      throw new IllegalArgumentException("status '" + status + "' is neither a status (404) nor a class (4xx)");
    }
    if (from != null && to != null && !from.isBefore(to)) {
      throw new IllegalArgumentException("from (" + from + ") must be before to (" + to + ")");
    }
  }

  public static AuditQuery all() {
    return new AuditQuery(null, null, null, null, null, null, null, null, null, null);
  }

  /** Builds a query from named text values (null when absent), as the CLI and the admin API receive them. */
  public static AuditQuery parse(Function<String, String> value) {
    return parse(value, Instant.now());
  }

  /** As {@link #parse(Function)}, with relative times ({@code -15m}) counted back from {@code now}. */
  public static AuditQuery parse(Function<String, String> value, Instant now) {
    return new AuditQuery(time("from", value.apply("from"), now), time("to", value.apply("to"), now),
        value.apply("caller"), value.apply("servicePrincipal"), value.apply("upstream"), value.apply("method"),
        value.apply("path"), value.apply("status"), value.apply("outcome"), value.apply("requestId"));
  }

  private static final java.util.regex.Pattern AGO = java.util.regex.Pattern.compile("-(\\d{1,9})(s|m|h|d)");

  /**
   * An instant ({@code 2026-11-22T03:00:00Z}), a day ({@code 2026-11-22}, from its start, UTC), or a time
   * before {@code now}: {@code -30s}, {@code -15m}, {@code -1h}, {@code -7d}.
   */
  public static Instant time(String name, String text, Instant now) {
    if (text == null || text.isBlank()) return null;
    java.util.regex.Matcher ago = AGO.matcher(text.trim());
    if (ago.matches()) {
      long amount = Long.parseLong(ago.group(1));
      return now.minus(switch (ago.group(2)) {
        case "s" -> java.time.Duration.ofSeconds(amount);
        case "m" -> java.time.Duration.ofMinutes(amount);
        case "h" -> java.time.Duration.ofHours(amount);
        default -> java.time.Duration.ofDays(amount);
      });
    }
    try {
      return text.length() == 10 ? LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant() : Instant.parse(text);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(name + " '" + text + "' is not a time; write 2026-11-22, "
          + "2026-11-22T03:00:00Z, or how long ago: -15m, -1h, -7d");
    }
  }

  /** Compiled for scanning: what can be checked on the raw line before it is parsed. */
  Compiled compile() {
    List<String> needles = new ArrayList<>();
    needle(needles, "caller", caller);
    needle(needles, "servicePrincipal", servicePrincipal);
    needle(needles, "upstream", upstream);
    needle(needles, "method", method);
    needle(needles, "outcome", outcome);
    needle(needles, "requestId", requestId);
    if (path != null) {
      String encoded = "\"path\":\"" + new String(JsonStringEncoder.getInstance().quoteAsString(path));
      needles.add(new String(encoded.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1));
    }
    if (status != null) needles.add("\"status\":" + (status.endsWith("xx") ? status.substring(0, 1) : status + ","));
    // The first is the one searched for; a longer text is usually the rarer one.
    needles.sort(java.util.Comparator.comparingInt(String::length).reversed());
    return new Compiled(this, from == null ? null : AuditLines.formatTime(from),
        to == null ? null : AuditLines.formatTime(to), needles.toArray(String[]::new));
  }

  private static void needle(List<String> needles, String field, String value) {
    if (value == null) return;
    String encoded = "\"" + field + "\":\"" + new String(JsonStringEncoder.getInstance().quoteAsString(value)) + "\"";
    // Lines are first seen as ISO-8859-1 text of their UTF-8 bytes: the needle must be too.
    needles.add(new String(encoded.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1));
  }

  /**
   * @param needles text every matching line contains (a necessary condition; {@link #matches} decides)
   */
  record Compiled(AuditQuery query, String fromText, String toText, String[] needles) {

    /** The cheap test, on the line's bytes seen as ISO-8859-1 text. */
    boolean mayMatch(String rawLine) {
      if (fromText != null || toText != null) {
        String time = AuditLines.time(rawLine);
        if (time == null) return false;
        if (fromText != null && time.compareTo(fromText) < 0) return false;
        if (toText != null && time.compareTo(toText) >= 0) return false;
      }
      for (String needle : needles) {
        if (!rawLine.contains(needle)) return false;
      }
      return true;
    }

    /**
     * Whether {@link #mayMatch} can be wrong: a {@code $batch} record's sub-requests have their own
     * {@code method} and {@code path}, and a path is a prefix. Every other filter's text can only be the
     * record's own member (quotes inside JSON strings are escaped), so the raw test is exact for them.
     */
    boolean needsParsing() {
      return query.method != null || query.path != null;
    }

    /** The exact test, on the parsed record. */
    boolean matches(JsonNode record) {
      return equal(record, "caller", query.caller) && equal(record, "servicePrincipal", query.servicePrincipal)
          && equal(record, "upstream", query.upstream) && equal(record, "method", query.method)
          && equal(record, "outcome", query.outcome) && equal(record, "requestId", query.requestId)
          && (query.path == null || record.path("path").asText("").startsWith(query.path))
          && (query.status == null || statusMatches(record.path("status").asInt(-1)));
    }

    private boolean statusMatches(int actual) {
      return query.status.endsWith("xx") ? actual / 100 == query.status.charAt(0) - '0'
          : actual == Integer.parseInt(query.status);
    }

    private static boolean equal(JsonNode record, String field, String expected) {
      return expected == null || expected.equals(record.path(field).asText(null));
    }
  }
}
