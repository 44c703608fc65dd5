package dev.spgateway.proxy;

import dev.spgateway.credential.AccessToken;
import io.netty.util.AsciiString;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.streams.Pipe;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * Sends a caller's request on to its upstream with Vert.x's HTTP client, streaming bodies both ways, and passes the
 * answer back. What a gateway in front of Microsoft's APIs needs: the caller's credentials never leave, the service
 * principal's token goes in, one request id follows the call across both hops, hop-by-hop headers stop at each hop
 * ({@link HopByHop}), and Host is the upstream's. Headers are copied once each way, leaving out what does not pass.
 * Redirects are never followed: the client does not, by default.
 */
public final class Forwarder {

  /** Request headers never forwarded: the caller's own credentials, what speaks for the gateway's host, what is set here. */
  private static final HeaderNames NOT_FORWARDED = new HeaderNames(concat(HopByHop.NAMES, List.of(
      "authorization", "x-api-key", "cookie", "proxy-authorization",
      "forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "client-request-id",
      "x-ms-client-request-id", "return-client-request-id", "host", "content-length")));

  /**
   * Answer headers never passed back: upstream cookies pin a session to one backend, the caller has no use for them;
   * the length and the request id are set here.
   */
  private static final HeaderNames NOT_ANSWERED = new HeaderNames(concat(HopByHop.NAMES, List.of(
      "set-cookie", "set-cookie2", "content-length", "client-request-id", "date")));

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
   * Makes what goes to the upstream for {@code caller} (paused since it arrived) at {@code pathAndQuery} (path and
   * query, already judged) below the upstream's base path. A small body is read in full, so it can be sent twice; a
   * larger one, or one of undeclared length, streams once. {@code readBody} is a body a stage already read to judge it (a
   * {@code $batch}): exactly those bytes are sent, as often as needed, with {@code contentType} as judged; both are
   * {@code null} otherwise.
   */
  public Future<Outbound> prepare(HttpServerRequest caller, Upstream upstream, String pathAndQuery, String requestId,
      Buffer readBody, String contentType) {
    String uri = upstream.basePath() + pathAndQuery;
    if (readBody != null) return Future.succeededFuture(new Outbound(caller, uri, requestId, contentType, readBody, false));
    long length = declaredBodyLength(caller);
    if (length == 0) {
      caller.resume(); // lets Vert.x consume the request's end, so the connection can carry the next one
      return Future.succeededFuture(new Outbound(caller, uri, requestId, null, null, false));
    }
    if (length < 0 || length > REPLAYABLE_BODY_LIMIT) {
      return Future.succeededFuture(new Outbound(caller, uri, requestId, null, null, true));
    }
    Future<Buffer> body = caller.body();
    caller.resume();
    return body.map(buffer -> new Outbound(caller, uri, requestId, null, buffer, false));
  }

  /**
   * Sends {@code request} with {@code token}; the answer's body is still unread. A pooled connection the upstream
   * closed just as it was taken (its keep-alive ran out) fails before any answer began: an idempotent request whose
   * body is held is then sent once more, on another connection, as a proxy does; any other fails.
   */
  public Future<Answer> send(Outbound request, Upstream upstream, AccessToken token) {
    return attempt(request, upstream, token)
        .recover(failure -> mayResend(request, failure) ? attempt(request, upstream, token) : Future.failedFuture(failure))
        .recover(failure -> Future.failedFuture(UpstreamFailure.reaching(upstream, failure)));
  }

  /** A connection that closed before any answer, and a request that can be sent again without doing anything twice. */
  private static boolean mayResend(Outbound request, Throwable failure) {
    return failure instanceof HttpClosedException && request.replayable() && IDEMPOTENT.contains(request.caller.method());
  }

  /** RFC 9110 §9.2.2: sending these twice does what sending them once does. */
  private static final Set<HttpMethod> IDEMPOTENT = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS,
      HttpMethod.PUT, HttpMethod.DELETE);

  private Future<Answer> attempt(Outbound request, Upstream upstream, AccessToken token) {
    CharSequence authorization = BEARERS.get().header(token);
    return clients.computeIfAbsent(Thread.currentThread(), loop -> newClient.get()).request(upstream.requestOptions())
        .compose(out -> {
          out.setMethod(request.caller.method()).setURI(request.uri);
          copyRequestHeaders(request, upstream, out.headers());
          // Put as the bytes it already is: a token is 1-2 KB, and a String would be encoded char by char.
          out.putHeader(HttpHeaders.AUTHORIZATION, authorization);
          request.caller.response().exceptionHandler(failure -> out.reset(0L, failure));
          Future<Answer> answered = out.response().map(answer -> {
            answer.pause(); // its body waits until it is passed on; paused as it is handed over, before any chunk
            return new Answer(answer, upstream);
          });
          sendBody(request, out);
          return answered;
        });
  }

  /**
   * The caller's headers as the upstream gets them: without hop-by-hop headers (and those {@code Connection} names),
   * the caller's credentials, or what speaks for the gateway's host; Dataverse's page size capped; this request's id.
   */
  private static void copyRequestHeaders(Outbound request, Upstream upstream, MultiMap to) {
    MultiMap from = request.caller.headers();
    HeaderNames named = HopByHop.connectionNamed(from);
    boolean dataverse = upstream.kind() == UpstreamConfig.UpstreamKind.dataverse;
    from.forEach((name, value) -> {
      if (NOT_FORWARDED.contains(name) || (named != null && named.contains(name))) return;
      if (request.contentType != null && name.equalsIgnoreCase("content-type")) return;
      to.add(name, dataverse && name.equalsIgnoreCase("prefer") ? capPageSize(value) : value);
    });
    if (request.contentType != null) to.set(HttpHeaders.CONTENT_TYPE, request.contentType);
    to.set(REQUEST_ID_HEADER, request.requestId);
    to.set("return-client-request-id", "true");
  }

  /** A held body goes with the head in one write; a streamed one is piped from the caller, its end with it. */
  private static void sendBody(Outbound request, HttpClientRequest out) {
    if (request.body != null) {
      out.putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(request.body.length()));
      out.end(request.body);
      return;
    }
    if (!request.streamed) {
      if (request.caller.headers().contains(HttpHeaders.CONTENT_LENGTH)) out.putHeader(HttpHeaders.CONTENT_LENGTH, "0");
      out.end();
      return;
    }
    long length = declaredBodyLength(request.caller);
    if (length >= 0) {
      out.putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(length));
    } else {
      out.setChunked(true);
    }
    Pipe<Buffer> pipe = request.caller.pipe();
    pipe.endOnComplete(true);
    pipe.endOnFailure(false);
    pipe.to(out).onFailure(failed -> out.reset());
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
  public Future<Answer> rewriteLinks(Answer answer, HttpServerRequest caller, Upstream upstream) {
    MultiMap headers = answer.headers();
    for (String name : Links.LINK_HEADERS) {
      String value = headers.get(name);
      String rewritten = value == null ? null : links.rewrite(upstream, value);
      if (rewritten != null) headers.set(name, rewritten);
    }
    if (!(answer.body() instanceof Body.Streamed body) || body.length() == 0 || caller.method() == HttpMethod.HEAD
        || !isJson(headers.get(HttpHeaders.CONTENT_TYPE))) {
      return Future.succeededFuture(answer);
    }
    String encoding = headers.get(HttpHeaders.CONTENT_ENCODING);
    if (encoding != null && !encoding.equalsIgnoreCase("identity")) return Future.succeededFuture(answer);
    UnaryOperator<String> rewrite = link -> links.rewrite(upstream, link);
    long length = body.length();
    if (length > 0 && length <= WHOLE_BODY_LIMIT && reserve(beingRead, length, WHOLE_BODIES_LIMIT)) {
      return WholeBody.read(body).andThen(read -> beingRead.addAndGet(-length)).map(whole -> {
        boolean mayHoldLinks = JsonLinkScanner.mayHoldLinks(whole.byteBuf());
        answer.body(mayHoldLinks ? whole.rewritten(new JsonLinkScanner(rewrite)) : whole);
        return answer;
      });
    }
    if (caller.version() == HttpVersion.HTTP_1_0) return Future.succeededFuture(answer);
    answer.body(new Body.Streamed(new LinkRewriter(body.stream(), new JsonLinkScanner(rewrite)), -1));
    return Future.succeededFuture(answer);
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
   * never breaks a caller that follows {@code @odata.nextLink}. {@code value} is one Prefer header's value.
   */
  static String capPageSize(String value) {
    if (!value.toLowerCase(Locale.ROOT).contains("odata.maxpagesize=")) return value;
    StringBuilder out = new StringBuilder();
    for (String preference : value.split(",")) {
      String trimmed = preference.trim();
      if (trimmed.toLowerCase(Locale.ROOT).startsWith("odata.maxpagesize=")) {
        String size = trimmed.substring("odata.maxpagesize=".length()).trim();
        boolean number = !size.isEmpty() && size.length() <= 9 && size.chars().allMatch(Character::isDigit);
        if (!number || Integer.parseInt(size) > DATAVERSE_MAX_PAGE_SIZE || Integer.parseInt(size) == 0) {
          trimmed = "odata.maxpagesize=" + DATAVERSE_MAX_PAGE_SIZE;
        }
      }
      if (!out.isEmpty()) out.append(',');
      out.append(trimmed);
    }
    return out.toString();
  }

  /**
   * Passes {@code answer} back to the caller of {@code caller}: status and reason, the upstream's headers but those
   * that do not pass ({@link #NOT_ANSWERED}, and those its {@code Connection} names), this request's id, and the body,
   * a whole one in one write with its head, a streamed one as it comes. The upstream's {@code Date} is passed on
   * when it is an IMF-fixdate (RFC 9110's form); else (none, an obsolete form, unreadable) the caller gets the
   * gateway's time.
   */
  public Future<Void> respond(Answer answer, HttpServerRequest caller, String requestId) {
    HttpServerResponse out = caller.response();
    out.setStatusCode(answer.status());
    if (answer.statusMessage() != null) out.setStatusMessage(answer.statusMessage());
    MultiMap headers = answer.headers();
    HeaderNames named = HopByHop.connectionNamed(headers);
    MultiMap outHeaders = out.headers();
    headers.forEach((name, value) -> {
      if (!NOT_ANSWERED.contains(name) && (named == null || !named.contains(name))) outHeaders.add(name, value);
    });
    outHeaders.set(HttpHeaders.DATE, DATES.get().date(headers.get(HttpHeaders.DATE)));
    outHeaders.set(REQUEST_ID_HEADER, requestId);

    Body body = answer.body();
    if (body instanceof WholeBody whole) return sendWhole(out, whole);
    Body.Streamed streamed = (Body.Streamed) body;
    if (streamed.length() >= 0) {
      out.putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(streamed.length()));
    } else if (caller.version() == HttpVersion.HTTP_1_0) {
      // An HTTP/1.0 caller cannot read chunks: the body is gathered first.
      return WholeBody.read(streamed).compose(whole -> sendWhole(out, whole));
    } else {
      out.setChunked(true);
    }
    Pipe<Buffer> pipe = streamed.stream().pipe();
    pipe.endOnSuccess(true);
    pipe.endOnFailure(false);
    return pipe.to(out).andThen(piped -> {
      if (piped.failed()) {
        answer.reset();
        out.reset();
      }
    });
  }

  /** Head and body in one write, with the body's length. */
  private static Future<Void> sendWhole(HttpServerResponse out, WholeBody whole) {
    out.putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(whole.bytes().length()));
    return out.end(whole.bytes());
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

  /** The last upstream Date seen valid, and the gateway's own time, per event loop: each changes once a second. */
  private static final ThreadLocal<Dates> DATES = ThreadLocal.withInitial(Dates::new);

  private static final class Dates {
    private static final DateTimeFormatter IMF_FIXDATE =
        DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
    private String validUpstreamDate;
    private long ownSecond = Long.MIN_VALUE;
    private String ownDate;

    String date(String upstreamDate) {
      if (upstreamDate != null) {
        if (upstreamDate.equals(validUpstreamDate)) return upstreamDate;
        if (isHttpDate(upstreamDate)) {
          validUpstreamDate = upstreamDate;
          return upstreamDate;
        }
      }
      long second = System.currentTimeMillis() / 1000;
      if (second != ownSecond) {
        ownDate = IMF_FIXDATE.format(Instant.ofEpochSecond(second));
        ownSecond = second;
      }
      return ownDate;
    }

    /** RFC 9110's preferred form, the one a sender must use; anything else is replaced, as it may be. */
    private static boolean isHttpDate(String value) {
      try {
        IMF_FIXDATE.parse(value);
        return true;
      } catch (DateTimeParseException e) {
        return false;
      }
    }
  }

  /** Closes every upstream client and its connections. */
  public void close() {
    clients.values().forEach(HttpClient::close);
  }

  /** Lets go of an answer that will not be passed on (a 401 about to be retried). */
  public void discard(Answer answer) {
    answer.discard();
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

  private static List<String> concat(Collection<String> first, Collection<String> second) {
    List<String> both = new ArrayList<>(first);
    both.addAll(second);
    return both;
  }
}
