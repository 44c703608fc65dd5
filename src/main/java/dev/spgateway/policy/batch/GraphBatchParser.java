package dev.spgateway.policy.batch;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads a Graph JSON batch, {@code {"requests":[{id, method, url, headers, body, dependsOn}]}}, strictly: where
 * Graph might read the body differently from a lenient parser (duplicate or unknown keys, keys differing only in
 * case, trailing content, other encodings) the batch is refused rather than guessed at.
 */
final class GraphBatchParser {

  static final int MAX_REQUESTS = 20;

  private static final Set<String> FIELDS = Set.of("id", "method", "url", "headers", "body", "dependsOn");
  private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE");
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9._~:-]{1,64}");
  /** A scheme ({@code https:}) before any {@code /}: the URL is absolute, not relative to the version. */
  private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:");
  private static final Pattern VERSION = Pattern.compile("/?(v1\\.0|beta)([/?]|$)", Pattern.CASE_INSENSITIVE);
  private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .build())
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private GraphBatchParser() {}

  /** The sub-requests of {@code body}, their URLs resolved against {@code versionPath} ({@code /v1.0}). */
  static List<BatchPart> parse(String versionPath, byte[] body) {
    JsonNode root = read(body);
    if (!root.isObject()) throw new BatchException("the body must be a JSON object {\"requests\": [...]}");
    fieldsOnly(root, Set.of("requests"), "the batch");
    JsonNode requests = root.get("requests");
    if (requests == null || !requests.isArray() || requests.isEmpty()) {
      throw new BatchException("the batch needs a non-empty \"requests\" array");
    }
    if (requests.size() > MAX_REQUESTS) {
      throw new BatchException("the batch has " + requests.size() + " requests; Graph accepts at most " + MAX_REQUESTS);
    }
    List<BatchPart> parts = new ArrayList<>();
    Set<String> earlierIds = new HashSet<>();
    for (int i = 0; i < requests.size(); i++) {
      parts.add(request(versionPath, requests.get(i), "requests[" + i + "]", earlierIds));
    }
    return parts;
  }

  private static BatchPart request(String versionPath, JsonNode request, String position, Set<String> earlierIds) {
    if (!request.isObject()) throw new BatchException(position + " is not a JSON object");
    fieldsOnly(request, FIELDS, position);
    String id = text(request, "id", position);
    if (!ID.matcher(id).matches()) {
      throw new BatchException(position + ": the id " + SubRequestHeaders.quote(id)
          + " must be 1-64 letters, digits or . _ ~ : -");
    }
    String where = "request '" + id + "'";
    if (!earlierIds.add(id.toLowerCase(Locale.ROOT))) throw new BatchException(where + ": the id is used twice");
    String method = text(request, "method", where);
    if (!METHODS.contains(method)) {
      throw new BatchException(where + ": the method " + SubRequestHeaders.quote(method)
          + " is not one of DELETE, GET, HEAD, PATCH, POST, PUT (upper case)");
    }
    String url = text(request, "url", where);
    dependsOn(request.get("dependsOn"), id, where, earlierIds);
    String contentType = headers(request.get("headers"), where);
    JsonNode body = request.get("body");
    long contentLength = 0;
    if (body != null && !body.isNull()) {
      if (contentType == null) throw new BatchException(where + " has a body but no Content-Type header; Graph needs one");
      contentLength = (body.isTextual() ? body.textValue() : body.toString()).getBytes(StandardCharsets.UTF_8).length;
    }
    return new BatchPart(id, method, target(versionPath, url, where), contentType, contentLength);
  }

  /**
   * Graph resolves {@code users/1} and {@code /users/1} against the version; anything with a host is refused, and
   * so is a URL that starts with a version itself, which Graph and the policy might read differently.
   */
  private static String target(String versionPath, String url, String where) {
    if (url.isEmpty()) throw new BatchException(where + ": the url is empty");
    if (url.startsWith("//") || SCHEME.matcher(url).find() || VERSION.matcher(url).lookingAt()) {
      throw new BatchException(where + ": the url " + SubRequestHeaders.quote(url)
          + " is not relative to the version; write it as /users/{id}");
    }
    return versionPath + (url.startsWith("/") ? url : "/" + url);
  }

  /** A request may wait only for requests listed before it, so no cycle can exist and no id dangles. */
  private static void dependsOn(JsonNode dependsOn, String id, String where, Set<String> earlierIds) {
    if (dependsOn == null || dependsOn.isNull()) return;
    if (!dependsOn.isArray()) throw new BatchException(where + ": dependsOn must be an array of ids");
    for (JsonNode other : dependsOn) {
      if (!other.isTextual()) throw new BatchException(where + ": dependsOn must list ids as strings");
      String name = other.textValue();
      if (name.equalsIgnoreCase(id) || !earlierIds.contains(name.toLowerCase(Locale.ROOT))) {
        throw new BatchException(where + ": dependsOn names " + SubRequestHeaders.quote(name)
            + ", which is no request listed before it");
      }
    }
  }

  /** Checks the headers object and returns the Content-Type, or null. */
  private static String headers(JsonNode headers, String where) {
    if (headers == null || headers.isNull()) return null;
    if (!headers.isObject()) throw new BatchException(where + ": headers must be an object of names to strings");
    Map<String, String> seen = new HashMap<>();
    String contentType = null;
    for (Iterator<Map.Entry<String, JsonNode>> it = headers.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> header = it.next();
      String name = header.getKey();
      SubRequestHeaders.check(name, where);
      if (!header.getValue().isTextual()) {
        throw new BatchException(where + ": the header " + SubRequestHeaders.quote(name) + " must be a string");
      }
      if (seen.put(name.toLowerCase(Locale.ROOT), name) != null) {
        throw new BatchException(where + ": the header " + SubRequestHeaders.quote(name) + " appears twice");
      }
      if (name.equalsIgnoreCase("content-type")) contentType = header.getValue().textValue();
    }
    return contentType;
  }

  private static void fieldsOnly(JsonNode node, Set<String> allowed, String where) {
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!allowed.contains(name)) {
        throw new BatchException(where + " has the property " + SubRequestHeaders.quote(name)
            + "; only " + String.join(", ", allowed.stream().sorted().toList()) + " are accepted (exact case)");
      }
    }
  }

  private static String text(JsonNode node, String field, String where) {
    JsonNode value = node.get(field);
    if (value == null || !value.isTextual()) throw new BatchException(where + " needs \"" + field + "\" as a string");
    return value.textValue();
  }

  /** Strict UTF-8 without a byte order mark: the one encoding Graph and this parser surely read alike. */
  private static JsonNode read(byte[] body) {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(body))
          .toString();
    } catch (CharacterCodingException e) {
      throw new BatchException("the body is not valid UTF-8");
    }
    if (text.startsWith("\uFEFF")) throw new BatchException("the body starts with a byte order mark; send plain UTF-8");
    try {
      JsonNode root = JSON.readTree(text);
      if (root == null) throw new BatchException("the body is empty");
      return root;
    } catch (JsonProcessingException e) {
      // Jackson's own message quotes the body; only the place is repeated, the caller has the rest.
      var at = e.getLocation();
      String place = at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
      boolean duplicate = e.getOriginalMessage() != null && e.getOriginalMessage().startsWith("Duplicate field");
      throw new BatchException((duplicate ? "a key appears twice in one JSON object" : "the body is not valid JSON")
          + place);
    }
  }
}
