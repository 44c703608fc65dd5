package dev.spgateway.policy.batch;

import dev.spgateway.policy.MediaType;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a Dataverse (OData 4.0) {@code multipart/mixed} batch: parts of type {@code application/http} holding one
 * request each, and change sets (a nested {@code multipart/mixed}, one level deep) whose requests may refer to
 * earlier ones as {@code $n}.
 *
 * <p>Strict where parsers could disagree: a boundary may occur only as a delimiter line of its own (never inside
 * content, in another case, or with padding), nothing but blank lines may stand before the first or after the
 * last delimiter, header lines may not be folded or repeated, and a declared Content-Length must match the body.
 */
final class MultipartBatchParser {

  static final int MAX_REQUESTS = 1000;
  /** The key a {@code $n} reference to a created entity is judged with: the new entity's key is not known yet. */
  static final String NEW_ENTITY_KEY = "00000000-0000-0000-0000-000000000000";

  private static final Pattern BOUNDARY = Pattern.compile("[A-Za-z0-9'()+_,./:=?-]{1,70}");
  private static final Pattern REQUEST_LINE = Pattern.compile("([A-Z]+) ([!-~]+) HTTP/1\\.1");
  private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
  private static final Pattern CONTENT_ID = Pattern.compile("[A-Za-z0-9._~-]{1,64}");
  private static final Pattern REFERENCE = Pattern.compile("\\$([A-Za-z0-9._~-]{1,64})([/?].*)?");
  private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:");
  private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE");

  private record HeaderBlock(Map<String, String> headers, int end) {
    String get(String lowerCaseName) {
      return headers.get(lowerCaseName);
    }
  }

  private final String apiPath;
  private final Set<String> origins;
  private final List<BatchPart> parts = new ArrayList<>();
  private final Set<String> contentIds = new HashSet<>();

  private MultipartBatchParser(String apiPath, Set<String> origins) {
    this.apiPath = apiPath;
    this.origins = origins;
  }

  /**
   * The sub-requests of {@code body}; relative URLs are resolved against {@code apiPath}
   * ({@code /api/data/v9.2}), absolute ones must name one of {@code origins} ({@code https://host[:port]}).
   */
  static List<BatchPart> parse(String apiPath, Set<String> origins, String contentType, byte[] body) {
    MultipartBatchParser parser = new MultipartBatchParser(apiPath, origins);
    // ISO-8859-1 maps each byte to one char, so positions are byte offsets and nothing is lost or merged.
    List<String> top = split(new String(body, StandardCharsets.ISO_8859_1), boundary(contentType, "the batch"),
        "the batch");
    for (int i = 0; i < top.size(); i++) parser.part(top.get(i), "part " + (i + 1));
    return parser.parts;
  }

  /**
   * The boundary parameter of a {@code multipart/mixed} Content-Type, its only parameter: any other (say
   * {@code xboundary=}) could be read as the boundary by a looser parser downstream.
   */
  static String boundary(String contentType, String where) {
    MediaType type;
    try {
      type = contentType == null ? null : MediaType.parse(contentType);
      if (type != null && type.type().equals("multipart/mixed")) type.onlyParameters(Set.of("boundary"), where);
    } catch (MediaType.Malformed e) {
      throw new BatchException(where + ": " + e.getMessage());
    }
    if (type == null || !type.type().equals("multipart/mixed")) {
      throw new BatchException(where + " must be multipart/mixed; boundary=...");
    }
    String boundary = type.parameter("boundary");
    if (boundary == null) throw new BatchException(where + " has no boundary: send multipart/mixed; boundary=batch_ID");
    if (!BOUNDARY.matcher(boundary).matches()) {
      throw new BatchException(where + ": the boundary " + SubRequestHeaders.quote(boundary)
          + " must be 1-70 letters, digits or ' ( ) + _ , - . / : = ?");
    }
    return boundary;
  }

  /** The parts between {@code --boundary} lines, each without the line break that belongs to the next delimiter. */
  static List<String> split(String text, String boundary, String where) {
    String delimiter = "--" + boundary;
    String lowerText = text.toLowerCase(Locale.ROOT);
    String lowerDelimiter = delimiter.toLowerCase(Locale.ROOT);
    List<String> parts = new ArrayList<>();
    int partStart = -1;
    boolean closed = false;
    for (int at = lowerText.indexOf(lowerDelimiter); at >= 0; at = lowerText.indexOf(lowerDelimiter, at + 1)) {
      if (closed) throw new BatchException(where + ": content follows the closing " + delimiter + "--");
      if (!text.startsWith(delimiter, at) || (at > 0 && text.charAt(at - 1) != '\n')) {
        throw new BatchException(where + ": the boundary occurs inside a part (byte " + at
            + "); use a boundary that does not occur in the content");
      }
      int after = at + delimiter.length();
      closed = text.startsWith("--", after);
      int next = lineEnd(text, closed ? after + 2 : after);
      if (next < 0) {
        throw new BatchException(where + ": the delimiter at byte " + at + " must stand alone on its line, as "
            + delimiter + " or " + delimiter + "--");
      }
      if (partStart < 0) {
        blank(text.substring(0, at), where + ": only blank lines may come before the first " + delimiter);
      } else {
        int end = at - 1; // the '\n' before the delimiter, and a '\r' before it, belong to the delimiter
        if (end > 0 && text.charAt(end - 1) == '\r') end--;
        parts.add(text.substring(partStart, Math.max(partStart, end)));
      }
      partStart = next;
    }
    if (partStart < 0) throw new BatchException(where + " has no part; each part starts with a line " + delimiter);
    if (!closed) throw new BatchException(where + " does not end with the line " + delimiter + "--");
    blank(text.substring(partStart), where + ": only blank lines may follow the closing " + delimiter + "--");
    if (parts.isEmpty()) throw new BatchException(where + " has no part");
    return parts;
  }

  private void part(String content, String where) {
    HeaderBlock mime = headerBlock(content, 0, where, false);
    String type = mime.get("content-type");
    if (type == null) {
      throw new BatchException(where + " has no Content-Type; write application/http, or multipart/mixed for a change set");
    }
    String media = SubRequestHeaders.mediaType(type);
    if (media.equals("multipart/mixed")) {
      List<String> changeSet = split(content.substring(mime.end()), boundary(type, where), where + " (a change set)");
      Map<String, String> entities = new HashMap<>();
      for (int i = 0; i < changeSet.size(); i++) {
        String inner = where + "." + (i + 1);
        HeaderBlock innerMime = headerBlock(changeSet.get(i), 0, inner, false);
        String innerType = innerMime.get("content-type");
        if (innerType != null && SubRequestHeaders.mediaType(innerType).equals("multipart/mixed")) {
          throw new BatchException(inner + " is a change set inside a change set; change sets do not nest");
        }
        request(changeSet.get(i), innerMime, inner, entities);
      }
    } else {
      request(content, mime, where, null);
    }
  }

  /** One application/http part; {@code entities} is the change set's Content-ID → entity map, null outside one. */
  private void request(String content, HeaderBlock mime, String where, Map<String, String> entities) {
    String type = mime.get("content-type");
    if (type == null || !SubRequestHeaders.mediaType(type).equals("application/http")) {
      throw new BatchException(where + ": Content-Type must be application/http, not "
          + (type == null ? "missing" : SubRequestHeaders.quote(type)));
    }
    String encoding = mime.get("content-transfer-encoding");
    if (encoding != null && !encoding.equalsIgnoreCase("binary")) {
      throw new BatchException(where + ": Content-Transfer-Encoding " + SubRequestHeaders.quote(encoding)
          + " is not accepted; send the request as it is (binary)");
    }
    String contentId = mime.get("content-id");
    if (contentId != null) {
      if (!CONTENT_ID.matcher(contentId).matches()) {
        throw new BatchException(where + ": the Content-ID " + SubRequestHeaders.quote(contentId)
            + " must be 1-64 letters, digits or . _ ~ -");
      }
      if (!contentIds.add(contentId)) throw new BatchException(where + ": Content-ID " + contentId + " is used twice");
      where = where + " (Content-ID " + contentId + ")";
    }
    int lineEnd = content.indexOf('\n', mime.end());
    String line = content.substring(mime.end(), lineEnd < 0 ? content.length() : lineEnd);
    if (line.endsWith("\r")) line = line.substring(0, line.length() - 1);
    Matcher request = REQUEST_LINE.matcher(line);
    if (!request.matches() || !METHODS.contains(request.group(1))) {
      throw new BatchException(where + ": the request line " + SubRequestHeaders.quote(line)
          + " is not 'METHOD URL HTTP/1.1' with one of DELETE, GET, HEAD, PATCH, POST, PUT");
    }
    String method = request.group(1);
    if (entities != null && (method.equals("GET") || method.equals("HEAD"))) {
      throw new BatchException(where + ": a change set holds only changes; send " + method + " outside it");
    }
    HeaderBlock http = headerBlock(content, lineEnd < 0 ? content.length() : lineEnd + 1, where, true);
    if (http.get("content-id") != null) {
      throw new BatchException(where + ": put Content-ID among the part's headers, above the request line");
    }
    String body = content.substring(http.end());
    long length = length(http.get("content-length"), body, where);
    String target = resolve(request.group(2), where, entities);
    if (contentId != null && entities != null) {
      String entity = entityOf(method, target);
      if (entity != null) entities.put(contentId, entity);
    }
    if (parts.size() == MAX_REQUESTS) {
      throw new BatchException("the batch has more than " + MAX_REQUESTS + " requests; Dataverse accepts at most "
          + MAX_REQUESTS);
    }
    String id = contentId != null ? contentId : "#" + (parts.size() + 1);
    parts.add(new BatchPart(id, method, target, http.get("content-type"), length));
  }

  /**
   * The path and query the URL names on this environment. {@code $n} stands for what request {@code n} of the
   * same change set created or addressed (see {@link #entityOf}); relative URLs continue the API path.
   */
  private String resolve(String url, String where, Map<String, String> entities) {
    if (url.startsWith("$")) {
      Matcher reference = REFERENCE.matcher(url);
      String entity = reference.matches() && entities != null ? entities.get(reference.group(1)) : null;
      if (entity == null) {
        throw new BatchException(where + ": " + SubRequestHeaders.quote(url) + " refers to no earlier request of"
            + " the same change set that creates or addresses one entity");
      }
      return entity + (reference.group(2) == null ? "" : reference.group(2));
    }
    if (url.startsWith("//")) throw new BatchException(where + ": the URL " + SubRequestHeaders.quote(url) + " names a host");
    if (url.startsWith("/")) return url;
    if (!SCHEME.matcher(url).find()) return apiPath + "/" + url;
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new BatchException(where + ": the URL " + SubRequestHeaders.quote(url) + " cannot be parsed");
    }
    String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
    if (!(scheme.equals("https") || scheme.equals("http")) || uri.getHost() == null || uri.getRawUserInfo() != null
        || uri.getRawFragment() != null || uri.getRawPath() == null || uri.getRawPath().isEmpty()) {
      throw new BatchException(where + ": the URL " + SubRequestHeaders.quote(url)
          + " must be https://HOST/PATH without user info or fragment");
    }
    String origin = origin(scheme, uri.getHost(), uri.getPort());
    if (!origins.contains(origin)) {
      throw new BatchException(where + ": the URL names " + origin + "; a batch addresses only its own environment ("
          + String.join(", ", origins.stream().sorted().toList()) + ")");
    }
    return uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
  }

  /**
   * What a later {@code $n} names: the entity a request addresses ({@code accounts(KEY)}), or the entity a POST to
   * a collection creates, judged as {@code collection(}{@value #NEW_ENTITY_KEY}{@code )}: a rule that allows any
   * key of that set allows it, a rule for one fixed key does not. Anything else cannot be referred to.
   */
  private static String entityOf(String method, String target) {
    int question = target.indexOf('?');
    String path = question < 0 ? target : target.substring(0, question);
    String last = path.substring(path.lastIndexOf('/') + 1);
    if (last.endsWith(")")) return path;
    if (method.equals("POST") && !last.isEmpty() && !last.contains("(") && !last.startsWith("$")) {
      return path + "(" + NEW_ENTITY_KEY + ")";
    }
    return null;
  }

  /** The body's length: its declared Content-Length, which must match, else its size without trailing line breaks. */
  private static long length(String declared, String body, String where) {
    int end = body.length();
    while (end > 0 && (body.charAt(end - 1) == '\n' || body.charAt(end - 1) == '\r')) end--;
    if (declared == null) return end;
    long length;
    try {
      length = Long.parseLong(declared);
    } catch (NumberFormatException e) {
      length = -1;
    }
    if (length < 0 || length > body.length() || length < end) {
      throw new BatchException(where + ": Content-Length " + SubRequestHeaders.quote(declared) + " does not match its "
          + end + "-byte body");
    }
    return length;
  }

  /**
   * Header lines from {@code start} to the blank line after them. An HTTP request's headers may also end with
   * the part (the line break before the next delimiter belongs to the delimiter).
   */
  private static HeaderBlock headerBlock(String text, int start, String where, boolean mayEndWithPart) {
    Map<String, String> headers = new LinkedHashMap<>();
    int position = start;
    while (true) {
      if (position >= text.length() && mayEndWithPart) return new HeaderBlock(headers, text.length());
      int lineEnd = text.indexOf('\n', position);
      if (lineEnd < 0 && !mayEndWithPart) {
        throw new BatchException(where + ": its headers do not end with a blank line, or no request follows them");
      }
      String line = text.substring(position, lineEnd < 0 ? text.length() : lineEnd);
      if (line.endsWith("\r")) line = line.substring(0, line.length() - 1);
      position = lineEnd < 0 ? text.length() : lineEnd + 1;
      if (line.isEmpty()) return new HeaderBlock(headers, position);
      int colon = line.indexOf(':');
      // Only the name is quoted in messages: a value could be a credential.
      if (colon <= 0 || !HEADER_NAME.matcher(line.substring(0, colon)).matches()) {
        throw new BatchException(where + ": a header line is not 'Name: value' (folded lines and spaces before"
            + " the colon are not accepted)");
      }
      String name = line.substring(0, colon);
      String value = line.substring(colon + 1).trim();
      if (value.chars().anyMatch(c -> c < 0x20 && c != '\t' || c == 0x7f)) {
        throw new BatchException(where + ": the header " + name + " holds a control character");
      }
      if (mayEndWithPart) SubRequestHeaders.check(name, where);
      if (headers.put(name.toLowerCase(Locale.ROOT), value) != null) {
        throw new BatchException(where + ": the header " + name + " appears twice");
      }
    }
  }

  /** {@code https://host} or {@code https://host:port}, lower case, default ports left out. */
  static String origin(String scheme, String host, int port) {
    String lowerScheme = scheme.toLowerCase(Locale.ROOT);
    boolean defaultPort = port == -1 || (lowerScheme.equals("https") && port == 443)
        || (lowerScheme.equals("http") && port == 80);
    return lowerScheme + "://" + host.toLowerCase(Locale.ROOT) + (defaultPort ? "" : ":" + port);
  }

  private static int lineEnd(String text, int position) {
    if (position == text.length()) return position;
    if (text.startsWith("\r\n", position)) return position + 2;
    return text.charAt(position) == '\n' ? position + 1 : -1;
  }

  private static void blank(String text, String problem) {
    if (!text.isBlank()) throw new BatchException(problem);
  }
}
