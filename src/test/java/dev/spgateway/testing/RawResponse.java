package dev.spgateway.testing;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP/1.1 response as received on a socket.
 *
 * @param headers names lower case, every value in order
 * @param length how many chars of the received text it took, interim 1xx responses before it included
 */
public record RawResponse(int status, Map<String, List<String>> headers, String body, int length) {

  public String header(String name) {
    List<String> values = headers.getOrDefault(name.toLowerCase(Locale.ROOT), List.of());
    return values.isEmpty() ? null : values.get(0);
  }

  public JsonObject problem() {
    return new JsonObject(body);
  }

  /** The first final response in {@code text} (one char a byte), once its head and body are complete; else null. */
  public static RawResponse parse(String text) {
    int start = 0;
    while (true) {
      int end = text.indexOf("\r\n\r\n", start);
      if (end < 0) return null;
      String[] lines = text.substring(start, end).split("\r\n");
      int status = Integer.parseInt(lines[0].substring(9, 12));
      if (status >= 100 && status < 200) {
        start = end + 4;
        continue;
      }
      Map<String, List<String>> headers = new LinkedHashMap<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        headers.computeIfAbsent(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
            .add(lines[i].substring(colon + 1).trim());
      }
      int bodyStart = end + 4;
      String body;
      int length;
      if (headers.containsKey("transfer-encoding")) {
        StringBuilder decoded = new StringBuilder();
        int at = bodyStart;
        while (true) {
          int lineEnd = text.indexOf("\r\n", at);
          if (lineEnd < 0) return null;
          int size = Integer.parseInt(text.substring(at, lineEnd).split(";")[0].trim(), 16);
          if (text.length() < lineEnd + 2 + size + 2) return null;
          decoded.append(text, lineEnd + 2, lineEnd + 2 + size);
          at = lineEnd + 2 + size + 2;
          if (size == 0) break;
        }
        body = decoded.toString();
        length = at;
      } else {
        List<String> declared = headers.get("content-length");
        int size = declared == null ? 0 : Integer.parseInt(declared.get(0));
        if (text.length() < bodyStart + size) return null;
        body = text.substring(bodyStart, bodyStart + size);
        length = bodyStart + size;
      }
      return new RawResponse(status, headers,
          new String(body.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8), length);
    }
  }
}
