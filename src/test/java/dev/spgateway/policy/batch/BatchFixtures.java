package dev.spgateway.policy.batch;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** Builds batch bodies the way clients write them: Graph JSON, and Dataverse multipart with CRLF line breaks. */
final class BatchFixtures {

  static final String BOUNDARY = "batch_36522ad7-fc75-4b56-8c71-56071383e77b";
  static final String MULTIPART = "multipart/mixed; boundary=" + BOUNDARY;

  private BatchFixtures() {}

  /** A Graph sub-request without body. */
  static JsonObject graphRequest(String id, String method, String url) {
    return new JsonObject().put("id", id).put("method", method).put("url", url);
  }

  static String graphBatch(JsonObject... requests) {
    return new JsonObject().put("requests", new JsonArray(List.of((Object[]) requests))).encode();
  }

  /** One application/http part; {@code request} is the request line, headers and body, written with \n. */
  static String part(String contentId, String request) {
    return "Content-Type: application/http\nContent-Transfer-Encoding: binary\n"
        + (contentId == null ? "" : "Content-ID: " + contentId + "\n") + "\n" + request;
  }

  /** A change set holding {@code parts}. */
  static String changeSet(String boundary, String... parts) {
    return "Content-Type: multipart/mixed; boundary=" + boundary + "\n\n" + multipart(boundary, parts);
  }

  /** A multipart body of {@code parts} with {@link #BOUNDARY}, CRLF line breaks throughout. */
  static String dataverseBatch(String... parts) {
    return multipart(BOUNDARY, parts).replace("\r\n", "\n").replace("\n", "\r\n");
  }

  private static String multipart(String boundary, String... parts) {
    List<String> lines = new ArrayList<>();
    for (String part : parts) lines.add("--" + boundary + "\n" + part + "\n");
    return String.join("", lines) + "--" + boundary + "--\n";
  }
}
