package dev.spgateway.testing;

import static dev.spgateway.testing.Await.await;

import dev.spgateway.identity.ApiKeys;
import dev.spgateway.sandbox.Sandbox;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * A running gateway for hostile tests: the sandbox's config (edited per test class), real Entra ID and Key Vault
 * stand-ins, strict audit (a record is on disk before its response is sent, so tests read it at once), and both
 * upstreams replaced by one that records every request it receives.
 */
public final class HostileGateway implements AutoCloseable {

  /** What the upstream received. */
  public record Seen(String method, String uri, MultiMap headers, String body) {}

  public final Vertx vertx;
  private final HttpServer upstream;
  private final Sandbox sandbox;
  private final NetClient net;
  private final List<Seen> upstreamSaw;
  private final Path configFile;

  private HostileGateway(Vertx vertx, HttpServer upstream, Sandbox sandbox, List<Seen> upstreamSaw, Path configFile) {
    this.vertx = vertx;
    this.upstream = upstream;
    this.sandbox = sandbox;
    this.net = vertx.createNetClient();
    this.upstreamSaw = upstreamSaw;
    this.configFile = configFile;
  }

  /** A last path segment the upstream answers only after {@link #SLOW_UPSTREAM_MILLIS}. */
  public static final String SLOW_UPSTREAM = "slow-upstream";
  public static final long SLOW_UPSTREAM_MILLIS = 1_500;

  /**
   * Starts one. {@code configEdit} may change config/sandbox.yaml's text; {@code upstreamHeaders} adds headers
   * to every upstream answer (a JSON {@code {"ok":true}}).
   */
  public static HostileGateway start(Path dir, UnaryOperator<String> configEdit,
      Consumer<HttpServerResponse> upstreamHeaders) {
    Vertx vertx = Vertx.vertx();
    List<Seen> saw = new CopyOnWriteArrayList<>();
    HttpServer upstream = await(vertx.createHttpServer().requestHandler(request -> request.body().onSuccess(body -> {
      saw.add(new Seen(request.method().name(), request.uri(), MultiMap.caseInsensitiveMultiMap().addAll(request.headers()),
          body.toString()));
      HttpServerResponse response = request.response().putHeader("content-type", "application/json");
      upstreamHeaders.accept(response);
      if (request.path().endsWith("/" + SLOW_UPSTREAM)) {
        vertx.setTimer(SLOW_UPSTREAM_MILLIS, late -> response.end("{\"ok\":true}"));
      } else {
        response.end("{\"ok\":true}");
      }
    })).listen(0, "127.0.0.1"));
    return start(vertx, upstream, "http://127.0.0.1:" + upstream.actualPort(), dir, configEdit, saw);
  }

  /**
   * Starts one in front of an upstream of the test's own at {@code url} (for upstreams that misbehave below HTTP);
   * {@link #upstreamSaw()} stays empty.
   */
  public static HostileGateway startBefore(Path dir, String url) {
    return start(Vertx.vertx(), null, url, dir, config -> config, new CopyOnWriteArrayList<>());
  }

  private static HostileGateway start(Vertx vertx, HttpServer upstream, String url, Path dir,
      UnaryOperator<String> configEdit, List<Seen> saw) {
    try {
      String config = Files.readString(Path.of("config/sandbox.yaml"))
          .replace("${SANDBOX_GRAPH_URL}", url).replace("${SANDBOX_DATAVERSE_URL}", url)
          .replace("  queryValues: [ $select, $top ]", "  queryValues: [ $select, $top ]\n  durability: strict");
      Path file = Files.writeString(dir.resolve("hostile.yaml"), configEdit.apply(config));
      Sandbox sandbox = awaitStart(Sandbox.start(vertx, file, 0, 0, dir));
      return new HostileGateway(vertx, upstream, sandbox, saw, file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starting stand-ins and a gateway can take a while on a busy machine. */
  private static <T> T awaitStart(io.vertx.core.Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(2, java.util.concurrent.TimeUnit.MINUTES);
    } catch (Exception e) {
      throw new AssertionError("the gateway did not start", e);
    }
  }

  public static HostileGateway start(Path dir) {
    return start(dir, config -> config, response -> {});
  }

  public Sandbox sandbox() {
    return sandbox;
  }

  public Path configFile() {
    return configFile;
  }

  public int port() {
    return sandbox.gateway().port();
  }

  public String callerKey() {
    return sandbox.callerKey();
  }

  /** Every request the upstream received, in order. */
  public List<Seen> upstreamSaw() {
    return upstreamSaw;
  }

  public RawConnection connect() {
    return RawConnection.open(vertx, net, port());
  }

  /** Sends {@code raw} exactly on a fresh connection and waits for the response. */
  public RawResponse send(String raw) {
    try (RawConnection connection = connect()) {
      return connection.write(raw).awaitResponse();
    }
  }

  /**
   * A request from the sandbox's caller with its key, {@code Connection: close}, and {@code headerLines} (whole
   * lines) after them; {@code body} is sent with its Content-Length when not null.
   */
  public RawResponse call(String method, String target, String body, String... headerLines) {
    return send(head(method, target, headerLines) + (body == null ? "\r\n" : "Content-Length: " + body.length()
        + "\r\n\r\n" + body));
  }

  /** A request head without its final empty line: request line, Host, the caller's key, close, then {@code headerLines}. */
  public String head(String method, String target, String... headerLines) {
    StringBuilder head = new StringBuilder(method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + ApiKeys.HEADER + ": " + callerKey() + "\r\nConnection: close\r\n");
    for (String line : headerLines) head.append(line).append("\r\n");
    return head.toString();
  }

  /** Every audit record written so far (strict audit: a response's record is on disk before it is sent). */
  public List<JsonObject> auditRecords() {
    try {
      return Files.readAllLines(sandbox.auditFile()).stream().map(JsonObject::new).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The first audit record {@code match} accepts, waiting for it: records not tied to a response (the listener's
   * refusals) reach the disk within the flush interval.
   */
  public JsonObject awaitAuditRecord(java.util.function.Predicate<JsonObject> match) {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
    while (true) {
      var found = auditRecords().stream().filter(match).findFirst();
      if (found.isPresent()) return found.get();
      if (System.nanoTime() > deadline) throw new AssertionError("no such audit record in " + auditRecords());
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  /** The one audit record of {@code requestId}. */
  public JsonObject auditRecord(String requestId) {
    List<JsonObject> records = auditRecords().stream().filter(r -> requestId.equals(r.getString("requestId"))).toList();
    if (records.size() != 1) throw new AssertionError(records.size() + " audit records for " + requestId);
    return records.get(0);
  }

  /**
   * Asserts the shape of a refusal: {@code status}, a problem of {@code type} whose detail contains
   * {@code reason}, one audit record saying so, and nothing reached the upstream. Returns the record.
   */
  public JsonObject assertRefused(RawResponse response, int upstreamRequestsBefore, int status, String type,
      String reason) {
    if (response.status() != status) throw new AssertionError("status " + response.status() + ", expected " + status
        + ": " + response.body());
    JsonObject problem = response.problem();
    if (!("urn:sp-gateway:problem:" + type).equals(problem.getString("type"))) {
      throw new AssertionError("problem type " + problem.getString("type") + ", expected " + type);
    }
    if (!problem.getString("detail").contains(reason)) {
      throw new AssertionError("detail '" + problem.getString("detail") + "' does not contain '" + reason + "'");
    }
    if (upstreamSaw.size() != upstreamRequestsBefore) throw new AssertionError("the upstream saw " + upstreamSaw);
    JsonObject record = auditRecord(problem.getString("requestId"));
    if (record.getInteger("status") != status || !type.equals(record.getString("problem"))
        || !"denied".equals(record.getString("outcome"))) {
      throw new AssertionError("audit record " + record.encode());
    }
    return record;
  }

  @Override
  public void close() {
    await(sandbox.close());
    if (upstream != null) await(upstream.close());
    await(vertx.close());
  }
}
