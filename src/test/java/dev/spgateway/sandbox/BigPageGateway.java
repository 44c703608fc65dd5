package dev.spgateway.sandbox;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A process for {@link BigPageTest}: the sandbox with, in Dataverse's place, an upstream that checks the
 * bearer token and streams one page of {@code args[1]} MB whose {@code @odata.nextLink} comes last, as
 * Dataverse writes it. Generated as it is sent, so only the gateway could hold the page. {@code /heap}
 * on the upstream's port reports this JVM's heap ({@code ?reset} first collects and resets the peaks).
 * Prints {@code READY gatewayPort upstreamPort callerKey} when serving.
 */
public final class BigPageGateway {

  static final String NEXT_LINK = Sandbox.DATAVERSE_ENVIRONMENT + "/api/data/v9.2/accounts?$select=name&$skiptoken="
      + "%3Ccookie%20pagenumber=%222%22%20pagingcookie=%22%253ccookie%2520page%253d%25221%2522%253e%22%20istracking=%22False%22%20/%3E";

  private static volatile BearerVerifier verifier;

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    long pageBytes = Long.parseLong(args[1]) * 1024 * 1024;
    Vertx vertx = Vertx.vertx();
    HttpServer upstream = vertx.createHttpServer().requestHandler(request -> answer(request, pageBytes))
        .listen(0, "127.0.0.1").await(30, TimeUnit.SECONDS);
    String config = Files.readString(Path.of("config/sandbox.yaml"))
        .replace("${SANDBOX_DATAVERSE_URL}", "http://127.0.0.1:" + upstream.actualPort());
    Path file = Files.writeString(dir.resolve("big-page.yaml"), config);
    Sandbox sandbox = Sandbox.start(vertx, file, 0, 0, dir).await(60, TimeUnit.SECONDS);
    verifier = new JwksBearerVerifier(vertx, sandbox.entra().jwksUrl(Sandbox.TENANT), sandbox.entra().issuer(Sandbox.TENANT),
        Sandbox.DATAVERSE_ENVIRONMENT);
    System.out.println("READY " + sandbox.gateway().port() + " " + upstream.actualPort() + " " + sandbox.callerKey());
    System.out.flush();
  }

  private static void answer(HttpServerRequest request, long pageBytes) {
    if (request.path().equals("/heap")) {
      request.response().putHeader("content-type", "application/json").end(heap(request.params().contains("reset")).encode());
      return;
    }
    String authorization = request.getHeader("authorization");
    BearerVerifier current = verifier;
    if (current == null || authorization == null || !authorization.startsWith("Bearer ")) {
      request.response().setStatusCode(401).end();
      return;
    }
    current.verify(authorization.substring(7))
        .onFailure(failure -> request.response().setStatusCode(401).end())
        .onSuccess(claims -> {
          HttpServerResponse response = request.response().setChunked(true)
              .putHeader("content-type", "application/json; odata.metadata=minimal");
          response.write("{\"@odata.context\":\"" + Sandbox.DATAVERSE_ENVIRONMENT + "/api/data/v9.2/$metadata#accounts(name)\","
              + "\"value\":[");
          stream(response, pageBytes, 0);
        });
  }

  /** Rows in 64 KB chunks, waiting whenever the gateway is not reading. */
  private static void stream(HttpServerResponse response, long pageBytes, long written) {
    while (written < pageBytes) {
      if (response.writeQueueFull()) {
        long at = written;
        response.drainHandler(drained -> stream(response, pageBytes, at));
        return;
      }
      StringBuilder chunk = new StringBuilder(65_536 + 256);
      while (chunk.length() < 65_536) {
        long row = written / 160 + chunk.length() / 160;
        chunk.append(written == 0 && chunk.length() == 0 ? "" : ",").append("{\"@odata.etag\":\"W/\\\"").append(row)
            .append("\\\"\",\"name\":\"Account ").append(row).append(" [\\\"quoted\\\"] {braces}\",\"accountid\":\"")
            .append(new java.util.UUID(row, row)).append("\"}");
      }
      written += chunk.length();
      response.write(Buffer.buffer(chunk.toString().getBytes(StandardCharsets.UTF_8)));
    }
    response.end("],\"@odata.nextLink\":\"" + NEXT_LINK + "\"}");
  }

  /** Heap in use (after a full collection when resetting) and the heap pools' peaks since the last reset. */
  private static JsonObject heap(boolean reset) {
    if (reset) {
      System.gc();
      ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
    }
    long peak = 0;
    long oldPeak = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() != MemoryType.HEAP) continue;
      peak += pool.getPeakUsage().getUsed();
      if (pool.getName().contains("Old")) oldPeak = pool.getPeakUsage().getUsed();
    }
    System.gc();
    return new JsonObject().put("usedAfterGc", ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed())
        .put("peak", peak).put("oldPeak", oldPeak).put("max", Runtime.getRuntime().maxMemory());
  }
}
