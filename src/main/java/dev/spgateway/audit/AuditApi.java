package dev.spgateway.audit;

import dev.spgateway.identity.ApiKeys;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@code GET /audit/records} on the admin port: the same query as {@code sp-gateway audit query}, as
 * JSON with paging. Only audit readers get in, by a bearer key of their own (stored as its SHA-256, like
 * callers' keys; a caller's key is never one). Files are read on a worker thread, never an event loop.
 *
 * <pre>{"records": [ ...records as written... ], "next": "CURSOR or null"}</pre>
 */
public final class AuditApi implements Handler<RoutingContext> {

  public static final String PATH = "/audit/records";
  private static final int DEFAULT_LIMIT = 100;
  private static final int MAX_LIMIT = 1000;
  private static final String PROBLEM = "urn:sp-gateway:problem:";

  private final Vertx vertx;
  private final Supplier<Readers> readers;
  private final AuditReader reader;

  /** @param readers who may read: the running config's audit readers, read once per request (a reload swaps them) */
  public AuditApi(Vertx vertx, AuditConfig config, Supplier<Readers> readers) {
    this.vertx = vertx;
    this.readers = readers;
    this.reader = new AuditReader(new AuditFiles(Path.of(config.file())));
  }

  /** The audit readers' key hashes, from one config. */
  public static final class Readers {
    private final List<byte[]> hashes;

    public Readers(List<AuditReaderConfig> readers) {
      this.hashes = readers.stream().map(r -> HexFormat.of().parseHex(r.apiKey().sha256())).toList();
    }
  }

  @Override
  public void handle(RoutingContext ctx) {
    if (!authorized(ctx.request().getHeader("Authorization"))) {
      ctx.response().putHeader("www-authenticate", "Bearer realm=\"sp-gateway audit\"");
      problem(ctx, 401, "unknown-audit-reader", "send an audit reader's key as Authorization: Bearer KEY "
          + "(audit.readers in the config; callers' keys do not open the audit log)");
      return;
    }
    AuditQuery query;
    int limit;
    Long cursor;
    boolean newestFirst;
    try {
      query = AuditQuery.parse(ctx.request()::getParam);
      limit = number(ctx.request().getParam("limit"), DEFAULT_LIMIT, "limit");
      if (limit < 1 || limit > MAX_LIMIT) throw new IllegalArgumentException("limit must be 1-" + MAX_LIMIT);
      String after = ctx.request().getParam("cursor");
      cursor = after == null ? null : cursor(after);
      String order = ctx.request().getParam("order", "newest");
      if (!order.equals("newest") && !order.equals("oldest")) {
        throw new IllegalArgumentException("order must be newest or oldest");
      }
      newestFirst = order.equals("newest");
    } catch (IllegalArgumentException e) {
      problem(ctx, 400, "bad-audit-query", e.getMessage());
      return;
    }
    vertx.executeBlocking(() -> reader.page(query, newestFirst, limit, cursor), false).onComplete(done -> {
      if (done.failed()) {
        problem(ctx, 500, "audit-read-failed", "the audit files could not be read: " + done.cause().getMessage());
        return;
      }
      AuditReader.Page page = done.result();
      Buffer body = Buffer.buffer("{\"records\":[");
      for (int i = 0; i < page.records().size(); i++) {
        if (i > 0) body.appendString(",");
        body.appendString(page.records().get(i).line());
      }
      body.appendString("],\"next\":" + (page.next() == null ? "null" : "\"" + page.next() + "\"") + "}");
      ctx.response().putHeader("content-type", "application/json").end(body);
    });
  }

  private boolean authorized(String header) {
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) return false;
    byte[] presented = ApiKeys.sha256(header.substring(7).trim());
    boolean found = false;
    for (byte[] hash : readers.get().hashes) found |= MessageDigest.isEqual(hash, presented);
    return found;
  }

  private static int number(String text, int fallback, String name) {
    if (text == null) return fallback;
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " '" + text + "' is not a number");
    }
  }

  private static long cursor(String text) {
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("cursor '" + text + "' is not one this API gave out; pass the last page's next");
    }
  }

  private static void problem(RoutingContext ctx, int status, String type, String detail) {
    ctx.response().setStatusCode(status).putHeader("content-type", "application/problem+json")
        .end(new JsonObject().put("type", PROBLEM + type)
            .put("title", io.netty.handler.codec.http.HttpResponseStatus.valueOf(status).reasonPhrase())
            .put("status", status).put("detail", detail).toBuffer());
  }
}
