package dev.spgateway.proxy;

import dev.spgateway.credential.AccessToken;
import io.netty.channel.ConnectTimeoutException;
import io.netty.util.AsciiString;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.streams.Pipe;
import io.vertx.httpproxy.Body;
import io.vertx.httpproxy.ProxyRequest;
import io.vertx.httpproxy.ProxyResponse;
import io.vertx.httpproxy.impl.BufferingWriteStream;
import io.vertx.httpproxy.impl.ParseUtils;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * Sends a caller's request on to its upstream with vertx-http-proxy, which streams bodies both ways and
 * drops Host. This class adds: hop-by-hop headers dropped both ways ({@link HopByHop}), and what a gateway in front of Microsoft's APIs needs:
 * the caller's credentials never leave, the service principal's token goes in, and one request id
 * follows the call across both hops. Redirects are never followed: the client does not, by default.
 */
public final class Forwarder {

  /** Header names never forwarded: the caller's own credentials and anything that speaks for the gateway's host. */
  private static final List<String> CALLER_HEADERS = List.of(
      "authorization", "x-api-key", "cookie", "proxy-authorization",
      "forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "client-request-id",
      "x-ms-client-request-id", "return-client-request-id");

  /** Upstream cookies pin a session to one backend; the caller has no use for them. */
  private static final List<String> UPSTREAM_RESPONSE_HEADERS = List.of("set-cookie", "set-cookie2");

  /** Request bodies up to this size are kept, so a request whose token is refused can be sent again. */
  public static final int REPLAYABLE_BODY_LIMIT = 64 * 1024;

  public static final String REQUEST_ID_HEADER = "client-request-id";

  /** JSON bodies of declared length up to this are read whole before their links are rewritten. */
  static final int WHOLE_BODY_LIMIT = 64 * 1024;
  /**
   * At most this many bytes of answers are being read whole at once, over every event loop (a thousand callers each
   * sent a 64 KB page would otherwise hold 64 MB of a 128 MB heap); past it, answers stream as longer ones do.
   */
  static final long WHOLE_BODIES_LIMIT = 16L * 1024 * 1024;

  /** Dataverse returns at most 5,000 rows a page and ignores a larger {@code odata.maxpagesize}. */
  public static final int DATAVERSE_MAX_PAGE_SIZE = 5000;

  private final Supplier<HttpClient> newClient;
  /**
   * One upstream client per event loop. Vert.x's pool hands an idle connection to whichever loop asks, and a
   * connection opened on another loop costs two hand-overs between threads per request; a client used by one
   * loop only opens its connections on that loop.
   */
  private final Map<Thread, HttpClient> clients = new ConcurrentHashMap<>();
  private final Links links;
  /** Bytes of the answers being read whole right now (WHOLE_BODIES_LIMIT). */
  private final AtomicLong beingRead = new AtomicLong();

  public Forwarder(Supplier<HttpClient> newClient, Links links) {
    this.newClient = newClient;
    this.links = links;
  }

  /**
   * Prepares {@code request} to go to {@code upstream} at {@code path} (path and query, already judged),
   * and says whether it can be sent twice: yes when it has no body or a small one, which is then read
   * in full. Large bodies stream once. {@code readBody} is a body a stage already read to judge it (a
   * {@code $batch}): exactly those bytes are sent, as often as needed; {@code null} otherwise.
   */
  public Future<Boolean> prepare(ProxyRequest request, Upstream upstream, String pathAndQuery, String requestId,
      Buffer readBody) {
    request.setURI(upstream.basePath() + pathAndQuery);
    MultiMap headers = request.headers();
    HopByHop.strip(headers);
    CALLER_HEADERS.forEach(headers::remove);
    headers.set(REQUEST_ID_HEADER, requestId);
    headers.set("return-client-request-id", "true");
    if (upstream.kind() == UpstreamConfig.UpstreamKind.dataverse) capPageSize(headers);

    if (readBody != null) {
      request.setBody(Body.body(readBody));
      return Future.succeededFuture(true);
    }
    HttpServerRequest incoming = request.proxiedRequest();
    long length = declaredBodyLength(incoming);
    if (length == 0) {
      request.setBody(null);
      incoming.resume(); // lets Vert.x consume the request's end, so the connection can carry the next one
      return Future.succeededFuture(true);
    }
    if (length < 0 || length > REPLAYABLE_BODY_LIMIT) return Future.succeededFuture(false);
    Future<Buffer> body = incoming.body();
    incoming.resume();
    return body.map(buffer -> {
      request.setBody(Body.body(buffer));
      return true;
    });
  }

  /** Sends the prepared request with {@code token}; the response's body is still unread. */
  public Future<ProxyResponse> send(ProxyRequest request, Upstream upstream, AccessToken token) {
    CharSequence authorization = BEARERS.get().header(token);
    return clients.computeIfAbsent(Thread.currentThread(), loop -> newClient.get()).request(upstream.requestOptions())
        .compose(upstreamRequest -> {
          // Put on the upstream request itself: the proxy request's headers are copied over as Strings, encoded
          // char by char, and a token is 1-2 KB; this one is written as the bytes it already is.
          upstreamRequest.putHeader(HttpHeaders.AUTHORIZATION, authorization);
          return request.send(upstreamRequest);
        })
        .recover(failure -> Future.failedFuture(classify(upstream, failure)));
  }

  /**
   * Points the upstream's own links in its answer at the gateway: the {@code Location},
   * {@code Content-Location} and {@code OData-EntityId} headers, and a JSON body's top-level
   * {@code @odata.nextLink} and {@code @odata.deltaLink}. A body of declared length up to
   * {@link #WHOLE_BODY_LIMIT} (a page of Graph or Dataverse is a few KB) is read whole, rewritten when it holds such
   * a key, and sent with its Content-Length in one write; a longer one is rewritten as it streams through (then
   * sent chunked, since its length may change). A compressed body, a body that is not JSON, and a longer body
   * for an HTTP/1.0 caller (which cannot read chunks) are passed on untouched.
   */
  public Future<ProxyResponse> rewriteLinks(ProxyResponse response, Upstream upstream) {
    MultiMap headers = response.headers();
    for (String name : Links.LINK_HEADERS) {
      String value = headers.get(name);
      String rewritten = value == null ? null : links.rewrite(upstream, value);
      if (rewritten != null) headers.set(name, rewritten);
    }
    Body body = response.getBody();
    HttpServerRequest caller = response.request().proxiedRequest();
    if (body == null || body.length() == 0 || caller.method() == HttpMethod.HEAD || !isJson(body.mediaType())) {
      return Future.succeededFuture(response);
    }
    String encoding = headers.get(HttpHeaders.CONTENT_ENCODING);
    if (encoding != null && !encoding.equalsIgnoreCase("identity")) return Future.succeededFuture(response);
    UnaryOperator<String> rewrite = link -> links.rewrite(upstream, link);
    long length = body.length();
    if (length > 0 && length <= WHOLE_BODY_LIMIT && reserve(beingRead, length, WHOLE_BODIES_LIMIT)) {
      return WholeBody.read(body).andThen(read -> beingRead.addAndGet(-length)).map(whole -> {
        boolean mayHoldLinks = JsonLinkScanner.mayHoldLinks(whole.byteBuf());
        response.setBody(mayHoldLinks ? whole.rewritten(new JsonLinkScanner(rewrite)) : whole);
        return response;
      });
    }
    if (caller.version() == HttpVersion.HTTP_1_0) return Future.succeededFuture(response);
    headers.remove(HttpHeaders.CONTENT_LENGTH);
    response.setBody(Body.body(new LinkRewriter(body.stream(), new JsonLinkScanner(rewrite)), -1, body.mediaType()));
    return Future.succeededFuture(response);
  }

  /** Adds {@code bytes} to {@code inUse} if that stays within {@code limit}; says whether it did. */
  static boolean reserve(AtomicLong inUse, long bytes, long limit) {
    if (inUse.addAndGet(bytes) <= limit) return true;
    inUse.addAndGet(-bytes);
    return false;
  }

  /** {@code application/json} and {@code application/*+json}, whatever the parameters. */
  static boolean isJson(String mediaType) {
    if (mediaType == null) return false;
    int semicolon = mediaType.indexOf(';');
    String type = (semicolon < 0 ? mediaType : mediaType.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
    return type.equals("application/json") || (type.startsWith("application/") && type.endsWith("+json"));
  }

  /**
   * {@code Prefer: odata.maxpagesize=N} above Dataverse's 5,000 is lowered to 5,000: the gateway says what it
   * forwards rather than rely on the upstream ignoring it. A page size is a preference, so a smaller page
   * never breaks a caller that follows {@code @odata.nextLink}.
   */
  static void capPageSize(MultiMap headers) {
    List<String> values = headers.getAll("prefer");
    if (values.isEmpty()) return;
    List<String> capped = new ArrayList<>(values.size());
    boolean changed = false;
    for (String value : values) {
      StringBuilder out = new StringBuilder();
      for (String preference : value.split(",")) {
        String trimmed = preference.trim();
        String lower = trimmed.toLowerCase(Locale.ROOT);
        if (lower.startsWith("odata.maxpagesize=")) {
          String size = trimmed.substring("odata.maxpagesize=".length()).trim();
          boolean number = !size.isEmpty() && size.length() <= 9 && size.chars().allMatch(Character::isDigit);
          if (!number || Integer.parseInt(size) > DATAVERSE_MAX_PAGE_SIZE || Integer.parseInt(size) == 0) {
            trimmed = "odata.maxpagesize=" + DATAVERSE_MAX_PAGE_SIZE;
            changed = true;
          }
        }
        if (!out.isEmpty()) out.append(',');
        out.append(trimmed);
      }
      capped.add(out.toString());
    }
    if (changed) headers.set("prefer", capped);
  }

  /** Passes the upstream's answer back to the caller, streaming its body. */
  public Future<Void> respond(ProxyResponse response, String requestId) {
    MultiMap headers = response.headers();
    HopByHop.strip(headers);
    UPSTREAM_RESPONSE_HEADERS.forEach(headers::remove);
    headers.set(REQUEST_ID_HEADER, requestId);
    return send(response);
  }

  /**
   * What vertx-http-proxy's {@code ProxiedResponse.send()} does, step for step, except that it parses and formats
   * the upstream's {@code Date} for every response (a tenth of the library's own time per request): here each
   * distinct {@code Date} (it changes once a second) is converted once per event loop, to the same text.
   */
  private Future<Void> send(ProxyResponse response) {
    HttpServerResponse out = response.request().proxiedRequest().response();
    out.setStatusCode(response.getStatusCode());
    if (response.getStatusMessage() != null) out.setStatusMessage(response.getStatusMessage());
    MultiMap headers = response.headers();
    out.putHeader(HttpHeaders.DATE, DATES.get().date(headers));

    List<String> warnings = headers.getAll("warning");
    if (!warnings.isEmpty()) {
      // A warning whose date is not the response's is stale (RFC 7234 5.5): dropped.
      String date = headers.get(HttpHeaders.DATE);
      Instant dated = date == null ? null : ParseUtils.parseHeaderDate(date);
      warnings = new ArrayList<>(warnings);
      warnings.removeIf(warning -> {
        Instant warned = ParseUtils.parseWarningHeaderDate(warning);
        return warned != null && dated != null && !warned.equals(dated);
      });
    }
    out.putHeader("warning", warnings);

    Body body = response.getBody();
    MultiMap outHeaders = out.headers();
    for (Map.Entry<String, String> header : headers) {
      String name = header.getKey();
      if (name.equals("content-type") && body != null) continue;
      if (name.equalsIgnoreCase("date") || name.equalsIgnoreCase("warning")
          || name.equalsIgnoreCase("transfer-encoding")) continue;
      outHeaders.add(name, header.getValue());
    }

    HttpClientResponse upstream = response.proxiedResponse();
    if (body == null) {
      if (upstream != null && upstream.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
        out.putHeader(HttpHeaders.CONTENT_LENGTH, "0");
      }
      return out.end();
    }
    if (body.mediaType() != null) out.putHeader(HttpHeaders.CONTENT_TYPE, body.mediaType());
    if (body instanceof WholeBody whole) {
      // Head and body in one write (a pipe writes the body, then an empty end).
      out.putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(whole.bytes().length()));
      return out.end(whole.bytes());
    }
    if (body.length() >= 0) {
      out.putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(body.length()));
    } else if (response.request().proxiedRequest().version() == HttpVersion.HTTP_1_0) {
      // An HTTP/1.0 caller cannot read chunks: the body is gathered first.
      BufferingWriteStream whole = new BufferingWriteStream();
      return body.stream().pipeTo(whole).compose(done -> out.end(whole.content()));
    } else {
      out.setChunked(true);
    }
    Pipe<Buffer> pipe = body.stream().pipe();
    pipe.endOnSuccess(true);
    pipe.endOnFailure(false);
    return pipe.to(out).andThen(piped -> {
      if (piped.failed()) {
        if (upstream != null) upstream.request().reset();
        out.reset();
      }
    });
  }

  /** {@code Authorization: Bearer …} of the token last used on this event loop, as bytes; tokens change hourly. */
  private static final ThreadLocal<Bearer> BEARERS = ThreadLocal.withInitial(Bearer::new);

  private static final class Bearer {
    private AccessToken token;
    private AsciiString header;

    CharSequence header(AccessToken next) {
      if (next != token) {
        header = new AsciiString("Bearer " + next.value());
        token = next;
      }
      return header;
    }
  }

  /** The caller's {@code Date} for an upstream's, as vertx-http-proxy makes it; the last one kept per event loop. */
  private static final ThreadLocal<Dates> DATES = ThreadLocal.withInitial(Dates::new);

  private static final class Dates {
    private String upstreamDate;
    private String callerDate;

    String date(MultiMap headers) {
      String date = headers.get(HttpHeaders.DATE);
      if (date != null && date.equals(upstreamDate)) return callerDate;
      Instant parsed = date != null ? ParseUtils.parseHeaderDate(date) : warningDate(headers);
      String formatted = ParseUtils.formatHttpDate(parsed != null ? parsed : Instant.now());
      if (date != null && parsed != null) { // only a date read from the header is the same text next time
        upstreamDate = date;
        callerDate = formatted;
      }
      return formatted;
    }

    private static Instant warningDate(MultiMap headers) {
      for (String warning : headers.getAll("warning")) {
        Instant date = ParseUtils.parseWarningHeaderDate(warning);
        if (date != null) return date;
      }
      return null;
    }
  }

  /** Closes every upstream client and its connections. */
  public void close() {
    clients.values().forEach(HttpClient::close);
  }

  /** Lets go of a response that will not be passed on (a 401 about to be retried). */
  public void discard(ProxyResponse response) {
    response.release();
  }

  /**
   * The body's length as the caller declared it: {@code 0} for no body, {@code -1} when it is not declared
   * (chunked, or a Content-Length Vert.x would have refused anyway).
   */
  public static long declaredBodyLength(HttpServerRequest request) {
    if (request.headers().contains(HttpHeaders.TRANSFER_ENCODING)) return -1;
    String value = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (value == null) return 0;
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static UpstreamFailure classify(Upstream upstream, Throwable failure) {
    if (failure instanceof UpstreamFailure known) return known;
    if (failure instanceof TimeoutException || failure.getCause() instanceof TimeoutException) {
      return new UpstreamFailure("upstream '" + upstream.name() + "' sent nothing for "
          + upstream.timeoutMillis() + " ms", true);
    }
    String why = failure instanceof ConnectTimeoutException
        ? "no connection within " + upstream.connectTimeoutMillis() + " ms"
        : failure.getClass().getSimpleName() + (failure.getMessage() == null ? "" : ": " + failure.getMessage());
    return new UpstreamFailure("upstream '" + upstream.name() + "' at " + upstream.host() + ":" + upstream.port()
        + " is unreachable (" + why + ")", false);
  }
}
