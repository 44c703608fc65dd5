package dev.spgateway.audit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The line format of the audit log (version {@value #VERSION}, see docs/audit-record.schema.json): one
 * JSON object per line, fields in a fixed order, ending in the hash chain:
 *
 * <pre>{"v":1,"seq":42,"time":"2026-11-22T03:24:01.123456Z",...,"prev":"HASH OF LINE 41","hash":"HASH OF THIS LINE"}</pre>
 *
 * {@code hash} is the SHA-256 (hex) of the line without its {@code ,"hash":"…"} member, so each line
 * proves its own content and, through {@code prev}, its place. The fixed order and fixed-width time let
 * readers find {@code seq}, {@code time}, {@code prev} and {@code hash} without parsing the line.
 * Instances are not thread-safe: the writer owns one.
 */
public final class AuditLines {

  public static final int VERSION = 1;
  /** The {@code prev} of the very first record. */
  public static final String GENESIS = "0".repeat(64);

  static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);
  private static final String HEAD = "{\"v\":" + VERSION + ",\"seq\":";
  private static final String TIME_KEY = ",\"time\":\"";
  private static final int TIME_LENGTH = 27;
  private static final String HASH_SUFFIX_START = ",\"hash\":\"";
  /** {@code ,"hash":"<64 hex>"}}: the tail every complete line ends with. */
  private static final int HASH_SUFFIX = HASH_SUFFIX_START.length() + 64 + 2;
  private static final int PREV_MEMBER = ",\"prev\":\"".length() + 64 + 1;
  /** Query option names whose values are never written, whatever the config says. */
  private static final Pattern SECRET_LOOKING =
      Pattern.compile("(?i).*(token|secret|key|pass|sig|code|auth|credential|session|cookie).*");

  private static final JsonFactory JSON = new JsonFactory();
  private static final byte[] HASH_SUFFIX_START_BYTES = HASH_SUFFIX_START.getBytes(StandardCharsets.US_ASCII);
  private static final byte[] LINE_END = "\"}\n".getBytes(StandardCharsets.US_ASCII);
  private static final HexFormat HEX = HexFormat.of();
  private final Buffer buffer = new Buffer();
  private final MessageDigest sha256 = sha256();
  /** The hash of the last line made. */
  private String lastHash;
  /** {@link #TIME} of the last second formatted, up to its seconds ({@code 2026-11-22T03:24:01}). */
  private long timeSecond = Long.MIN_VALUE;
  private String timeSecondText;
  /** Replaced, never changed, by {@link #clientIds(Map)}: the writer thread reads it. */
  private volatile Map<String, String> clientIds;
  private final Set<String> queryValueNames;

  /**
   * @param clientIds service principal name → its application (client) id
   * @param queryValueNames query options whose values may be written (secret-looking names never are)
   */
  public AuditLines(Map<String, String> clientIds, Iterable<String> queryValueNames) {
    this.clientIds = Map.copyOf(clientIds);
    var names = new java.util.HashSet<String>();
    queryValueNames.forEach(name -> {
      if (!isSecretLooking(name)) names.add(name.toLowerCase(Locale.ROOT));
    });
    this.queryValueNames = Set.copyOf(names);
  }

  /**
   * From the next line on, also names these service principals' client ids (a reload may add or change one);
   * names no longer configured keep theirs, for records of requests still under way.
   */
  public synchronized void clientIds(Map<String, String> added) {
    Map<String, String> merged = new java.util.HashMap<>(clientIds);
    merged.putAll(added);
    clientIds = Map.copyOf(merged);
  }

  public static boolean isSecretLooking(String queryOption) {
    return SECRET_LOOKING.matcher(queryOption).matches();
  }

  /** One complete line, newline included, chained to the line whose hash is {@code prev}. */
  public byte[] line(long seq, AuditRecord r, String prev) {
    buffer.reset();
    try (JsonGenerator json = JSON.createGenerator(buffer)) {
      json.writeStartObject();
      json.writeNumberField("v", VERSION);
      json.writeNumberField("seq", seq);
      json.writeStringField("time", time(r.time()));
      string(json, "requestId", r.requestId());
      string(json, "caller", r.caller());
      string(json, "authentication", r.authentication());
      string(json, "callerAppId", r.callerAppId());
      string(json, "callerObjectId", r.callerObjectId());
      string(json, "servicePrincipal", r.servicePrincipal());
      if (r.servicePrincipal() != null) string(json, "clientId", clientIds.get(r.servicePrincipal()));
      string(json, "upstream", r.upstream());
      string(json, "method", r.method());
      string(json, "path", r.path());
      if (r.queryOptions() != null && !r.queryOptions().isEmpty()) {
        json.writeArrayFieldStart("queryOptions");
        for (String name : r.queryOptions()) json.writeString(name);
        json.writeEndArray();
      }
      queryValues(json, r.query());
      string(json, "rule", r.rule());
      string(json, "outcome", r.outcome());
      string(json, "problem", r.problem());
      string(json, "reason", r.reason());
      string(json, "rateLimit", r.rateLimit());
      json.writeNumberField("status", r.status());
      json.writeNumberField("bytesIn", r.bytesIn());
      json.writeNumberField("bytesOut", r.bytesOut());
      json.writeNumberField("durationMs", r.durationMs());
      if (r.tokenMs() != null) json.writeNumberField("tokenMs", r.tokenMs());
      if (r.upstreamMs() != null) json.writeNumberField("upstreamMs", r.upstreamMs());
      string(json, "upstreamRequestId", r.upstreamRequestId());
      if (r.batch() != null && !r.batch().isEmpty()) {
        json.writeArrayFieldStart("batch");
        for (AuditRecord.SubRequest sub : r.batch()) {
          json.writeStartObject();
          string(json, "id", sub.id());
          string(json, "method", sub.method());
          string(json, "path", sub.path());
          string(json, "rule", sub.rule());
          json.writeEndObject();
        }
        json.writeEndArray();
      }
      if (r.config() != null) {
        json.writeObjectFieldStart("config");
        string(json, "sha256", r.config().sha256());
        string(json, "trigger", r.config().trigger());
        json.writeEndObject();
      }
      json.writeStringField("prev", prev);
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot happen: writing to memory", e);
    }
    // The hash covers the object as written so far; then its closing brace gives way to the hash member.
    sha256.update(buffer.bytes(), 0, buffer.size());
    lastHash = HEX.formatHex(sha256.digest());
    buffer.dropLast();
    buffer.writeBytes(HASH_SUFFIX_START_BYTES);
    buffer.writeBytes(lastHash.getBytes(StandardCharsets.US_ASCII));
    buffer.writeBytes(LINE_END);
    return buffer.toByteArray();
  }

  /** The hash of the line {@link #line} made last: the next line's {@code prev}. */
  public String lastHash() {
    return lastHash;
  }

  /** {@link #TIME}'s text, its date and seconds formatted once per second (records come many a second). */
  private String time(Instant time) {
    long second = time.getEpochSecond();
    if (second != timeSecond) {
      timeSecondText = TIME.format(time).substring(0, TIME_LENGTH - 8);
      timeSecond = second;
    }
    int micros = time.getNano() / 1_000;
    char[] text = new char[TIME_LENGTH];
    timeSecondText.getChars(0, TIME_LENGTH - 8, text, 0);
    text[TIME_LENGTH - 8] = '.';
    for (int i = TIME_LENGTH - 2; i > TIME_LENGTH - 8; i--, micros /= 10) text[i] = (char) ('0' + micros % 10);
    text[TIME_LENGTH - 1] = 'Z';
    return new String(text);
  }

  /** A byte buffer whose bytes can be hashed in place. */
  private static final class Buffer extends ByteArrayOutputStream {
    Buffer() {
      super(1024);
    }

    byte[] bytes() {
      return buf;
    }

    void dropLast() {
      count--;
    }
  }

  private void queryValues(JsonGenerator json, String query) throws IOException {
    if (query == null || query.isEmpty() || queryValueNames.isEmpty()) return;
    boolean started = false;
    for (String pair : query.split("&")) {
      int equals = pair.indexOf('=');
      if (equals < 0) continue;
      String name = decode(pair.substring(0, equals));
      if (!queryValueNames.contains(name.toLowerCase(Locale.ROOT))) continue;
      if (!started) json.writeObjectFieldStart("queryValues");
      started = true;
      json.writeStringField(name, decode(pair.substring(equals + 1)));
    }
    if (started) json.writeEndObject();
  }

  private static String decode(String text) {
    try {
      return URLDecoder.decode(text, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return text; // the policy already refused malformed escapes; write what was forwarded
    }
  }

  private static void string(JsonGenerator json, String name, String value) throws IOException {
    if (value != null) json.writeStringField(name, value);
  }

  // ---- reading a line without parsing it (lines are as this class wrote them, or damaged) ----

  /** Whether {@code line} (no newline) has the shape of a complete line; says nothing of its hash. */
  public static boolean looksComplete(String line) {
    return line.startsWith(HEAD) && line.length() > HASH_SUFFIX + PREV_MEMBER
        && line.startsWith(HASH_SUFFIX_START, line.length() - HASH_SUFFIX) && line.endsWith("\"}");
  }

  /** The hash the line claims for itself. */
  public static String claimedHash(String line) {
    return line.substring(line.length() - HASH_SUFFIX + HASH_SUFFIX_START.length(), line.length() - 2);
  }

  /** The hash of the line's content, as {@link #claimedHash} should say. */
  public static String computeHash(String line, MessageDigest sha256) {
    String body = line.substring(0, line.length() - HASH_SUFFIX) + "}";
    return HexFormat.of().formatHex(sha256.digest(body.getBytes(StandardCharsets.UTF_8)));
  }

  public static String prev(String line) {
    int end = line.length() - HASH_SUFFIX - 1;
    return line.substring(end - 64, end);
  }

  /** The sequence number, or -1 when the line does not start as a record does. */
  public static long seq(String line) {
    if (!line.startsWith(HEAD)) return -1;
    int comma = line.indexOf(',', HEAD.length());
    try {
      return comma < 0 ? -1 : Long.parseLong(line, HEAD.length(), comma, 10);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** The fixed-width time text (it sorts as the times do), or null. */
  public static String time(String line) {
    int key = line.indexOf(TIME_KEY, HEAD.length());
    int start = key + TIME_KEY.length();
    return key < 0 || line.length() < start + TIME_LENGTH ? null : line.substring(start, start + TIME_LENGTH);
  }

  /** The request id's text as written (JSON-escaped, without quotes), or null. */
  public static String requestId(String line) {
    int key = line.indexOf(REQUEST_ID_KEY);
    if (key < 0) return null;
    int start = key + REQUEST_ID_KEY.length();
    int end = line.indexOf('"', start);
    while (end > 0 && line.charAt(end - 1) == '\\') end = line.indexOf('"', end + 1); // an escaped quote
    return end < 0 ? null : line.substring(start, end);
  }

  private static final String REQUEST_ID_KEY = "\"requestId\":\"";

  public static String formatTime(Instant time) {
    return TIME.format(time);
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
