package dev.spgateway.gateway;

import dev.spgateway.audit.AuditLog;
import dev.spgateway.audit.AuditRecord;
import dev.spgateway.credential.AccessToken;
import dev.spgateway.credential.TokenSource;
import dev.spgateway.identity.ApiKeys;
import dev.spgateway.listener.ConnectionGuard;
import dev.spgateway.identity.Caller;
import dev.spgateway.identity.EntraAuthenticator;
import dev.spgateway.identity.TokenRefusal;
import dev.spgateway.logging.Logging;
import dev.spgateway.policy.Decision;
import dev.spgateway.policy.UnjudgedHeaders;
import dev.spgateway.policy.batch.BatchJudge;
import dev.spgateway.policy.batch.BoundedBody;
import dev.spgateway.proxy.Answer;
import dev.spgateway.proxy.Body;
import dev.spgateway.proxy.EndAfter;
import dev.spgateway.proxy.Forwarder;
import dev.spgateway.proxy.Outbound;
import dev.spgateway.proxy.WholeBody;
import dev.spgateway.proxy.UpstreamFailure;
import dev.spgateway.ratelimit.Admission;
import dev.spgateway.ratelimit.RateLimiter;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.MDC;

/**
 * The whole path of a request, front to back, in one place:
 *
 * <pre>
 * admit (audit log writable, not draining) → identify → read target → authorize (a $batch: each sub-request)
 *   → limit → prepare → token → forward (once more on a 401) → rewrite links → [strict audit: hold the end] → respond
 *     every request, forwarded or refused, leaves one audit record
 * </pre>
 *
 * Each step asks its own package (audit, identity, policy, ratelimit, credential, proxy) and records what it learned on
 * the {@link Exchange}. Everything a step reads from config comes from the request's {@link Generation}, taken
 * once when it arrives, so a reload never changes the rules halfway through a request. A step that refuses throws or fails with a {@link Rejection}, which becomes a
 * problem response; nothing after it runs.
 */
public final class Pipeline implements Handler<HttpServerRequest> {

  private static final String PROBLEM_TYPE_PREFIX = "urn:sp-gateway:problem:";
  private static final int CLIENT_CLOSED_REQUEST = 499;
  private static final Rejection SHUTTING_DOWN = new Rejection(503, "shutting-down",
      "this gateway instance is stopping; send the request again (to another instance)", "1");
  private static final Rejection AUDIT_UNAVAILABLE = new Rejection(503, "audit-unavailable",
      "the gateway cannot write its audit log right now, so it takes no requests; try again shortly", "1");

  private static final String API_KEY_CHALLENGE = "ApiKey header=\"" + ApiKeys.HEADER + "\"";
  private static final String BEARER_CHALLENGE = "Bearer realm=\"sp-gateway\"";

  /** The config in force: read once per request ({@link Exchange#config}); a reload replaces it. */
  private final Supplier<Generation> generation;
  private final RateLimiter limiter;
  private final TokenSource tokens;
  private final Forwarder forwarder;
  private final AuditLog audit;
  private final UpstreamFailureLog upstreamFailures = new UpstreamFailureLog();
  /** Requests admitted and not yet recorded: a graceful stop waits for them. */
  private final AtomicInteger underWay = new AtomicInteger();
  private volatile boolean draining;
  private final AtomicInteger refusedWhileDraining = new AtomicInteger();
  /** Of those, the ones not yet recorded: the stop closes the audit log only after their records. */
  private final AtomicInteger refusing = new AtomicInteger();
  /** Cuts off a body that stops coming once it is read (listener.bodyTimeout); none until the listener sets it. */
  private ConnectionGuard bodies;

  Pipeline(Supplier<Generation> generation, RateLimiter limiter, TokenSource tokens, Forwarder forwarder,
      AuditLog audit) {
    this.generation = generation;
    this.limiter = limiter;
    this.tokens = tokens;
    this.forwarder = forwarder;
    this.audit = audit;
  }

  @Override
  public void handle(HttpServerRequest request) {
    Exchange exchange = new Exchange(request, generation.get());
    HttpServerResponse response = request.response();
    // Vert.x calls the end handler for a dropped connection too; record() asks the response what happened.
    response.endHandler(ended -> record(exchange));
    response.closeHandler(closed -> record(exchange));
    if (!audit.admits()) {
      // No record for this refusal: the audit log cannot take one. It counts it, and records the count on recovery.
      exchange.recorded = true;
      reject(exchange, AUDIT_UNAVAILABLE);
      return;
    }
    if (draining) {
      refusedWhileDraining.incrementAndGet();
      refusing.incrementAndGet();
      exchange.refusing = true;
      response.putHeader(HttpHeaders.CONNECTION, "close");
      reject(exchange, SHUTTING_DOWN);
      return;
    }
    underWay.incrementAndGet();
    exchange.underWay = true;
    Future<Void> identified;
    try {
      identified = identify(exchange);
    } catch (Rejection rejection) {
      reject(exchange, rejection);
      return;
    }
    identified
        .compose(known -> {
          readTarget(exchange);
          return authorize(exchange);
        })
        .compose(allowed -> limit(exchange))
        .andThen(admitted -> {
          if (admitted.succeeded()) wantBody(exchange);
        })
        .compose(withinBudget -> forwarder.prepare(request, exchange.upstream, exchange.allow.target(),
            exchange.requestId, exchange.body, exchange.forwardedContentType))
        .compose(outbound -> token(exchange).compose(token -> forward(exchange, outbound, token)))
        .compose(answer -> forwarder.rewriteLinks(answer, request, exchange.upstream))
        .compose(answer -> holdEndForAudit(exchange, answer))
        .compose(answer -> forwarder.respond(answer, request, exchange.requestId))
        .onFailure(failure -> {
          // A caller that hung up is not the gateway failing: the close handler records it.
          if (response.closed()) return;
          // A failure may be logged: the line carries this request's id.
          try (var id = MDC.putCloseable(Logging.REQUEST_ID, exchange.requestId)) {
            Rejection rejection = asRejection(failure);
            if (failure instanceof UpstreamFailure upstream) {
              upstreamFailures.failed(upstream, exchange.allow.servicePrincipal(), rejection);
            }
            reject(exchange, rejection);
          }
        });
  }

  /** What a graceful stop did: requests under way when it began, those still unfinished at its timeout, and
   * requests refused with 503 shutting-down meanwhile. */
  public record Drained(int underWay, int unfinished, int refused) {}

  /** The listener's guard, which cuts off a request body that stops coming once the pipeline reads it. */
  public void watchBodiesWith(ConnectionGuard guard) {
    this.bodies = guard;
  }

  /**
   * Starts a graceful stop: new requests get 503 shutting-down (and a connection close), and the future
   * completes once every request under way has been answered and recorded, or after {@code timeout}.
   */
  public Future<Drained> drain(Vertx vertx, Duration timeout) {
    draining = true;
    int atStart = underWay.get();
    return awaitNone(vertx, underWay, timeout)
        .map(left -> new Drained(atStart, left, refusedWhileDraining.get()));
  }

  /**
   * Once the listener is closed: completes when every request refused with 503 shutting-down has left its record
   * (its response may have reached the caller a moment before its end handler ran), or after {@code timeout}.
   */
  public Future<Void> refusalsRecorded(Vertx vertx, Duration timeout) {
    return awaitNone(vertx, refusing, timeout).mapEmpty();
  }

  /**
   * Completes with what is left of {@code count} when it reaches 0 or {@code timeout} has passed. Checks now, then
   * every 20 ms, with one-shot timers: a periodic timer's first tick can run before setPeriodic has returned, and
   * cancelling it from there fails in Vert.x 5.0.10 (NullPointerException).
   */
  private static Future<Integer> awaitNone(Vertx vertx, AtomicInteger count, Duration timeout) {
    Promise<Integer> none = Promise.promise();
    awaitNone(vertx, count, none, System.nanoTime() + timeout.toNanos());
    return none.future();
  }

  private static void awaitNone(Vertx vertx, AtomicInteger count, Promise<Integer> none, long deadline) {
    int left = count.get();
    if (left == 0 || System.nanoTime() > deadline) {
      none.tryComplete(left);
      return;
    }
    vertx.setTimer(20, timer -> awaitNone(vertx, count, none, deadline));
  }

  /**
   * Who is calling? Flows present their key in {@link ApiKeys#HEADER}; scripts an Entra ID access token in
   * {@code Authorization: Bearer} (when {@code identity.entra} accepts them). A request with both must name the
   * same caller with each. Completes at once except when a token is new to the gateway and its signing key
   * has to be fetched.
   */
  private Future<Void> identify(Exchange exchange) {
    UnjudgedHeaders.Refusal repeated = UnjudgedHeaders.repeated(exchange.request.headers());
    if (repeated != null) throw new Rejection(400, repeated.problemType(), repeated.reason());
    MultiMap headers = exchange.request.headers();
    EntraAuthenticator entra = exchange.config.entra(); // null when no identity.entra
    String key = headers.get(ApiKeys.HEADER);
    String authorization = entra == null ? null : headers.get(HttpHeaders.AUTHORIZATION);
    if (entra != null) refuseMisplacedTokens(exchange.request, authorization);
    if (authorization == null) {
      if (key == null || key.isEmpty()) {
        throw entra == null
            ? new Rejection(401, "missing-api-key", "send your caller key in the " + ApiKeys.HEADER + " header")
            : new Rejection(401, "missing-credentials", "send your caller key in the " + ApiKeys.HEADER
                + " header, or an Entra ID access token for this gateway in Authorization: Bearer", null,
                List.of(API_KEY_CHALLENGE, BEARER_CHALLENGE));
      }
      exchange.caller = byKey(exchange, key);
      return Future.succeededFuture();
    }
    Caller keyCaller = key == null || key.isEmpty() ? null : byKey(exchange, key);
    return entra.authenticate(authorization).transform(outcome -> {
      if (outcome.failed()) {
        if (!(outcome.cause() instanceof TokenRefusal refusal)) return Future.failedFuture(outcome.cause());
        exchange.callerAppId = refusal.appId();
        exchange.callerObjectId = refusal.objectId();
        return Future.failedFuture(bearerRejection(refusal));
      }
      Caller caller = outcome.result();
      exchange.callerAppId = caller.appId();
      exchange.callerObjectId = caller.objectId();
      if (keyCaller != null && !keyCaller.name().equals(caller.name())) {
        return Future.failedFuture(new Rejection(401, "conflicting-credentials", "the " + ApiKeys.HEADER
            + " header and the Entra ID token name different callers; send one of them", null,
            List.of(bearer(TokenRefusal.INVALID_REQUEST, "the API key and the token name different callers"))));
      }
      exchange.caller = keyCaller != null ? caller.withApiKeyToo() : caller;
      return Future.succeededFuture();
    });
  }

  private static Caller byKey(Exchange exchange, String key) {
    return exchange.config.authenticator().authenticate(key).orElseThrow(() -> new Rejection(401, "unknown-api-key",
        "the key in the " + ApiKeys.HEADER + " header belongs to no caller; check it, or ask for a new one"));
  }

  /** A token only ever travels in one Authorization header: never two, never in the URL (where logs keep it). */
  private static void refuseMisplacedTokens(HttpServerRequest request, String authorization) {
    if (authorization != null && request.headers().getAll(HttpHeaders.AUTHORIZATION).size() > 1) {
      throw new Rejection(400, "duplicate-authorization", "send one Authorization header, not several", null,
          List.of(bearer(TokenRefusal.INVALID_REQUEST, "more than one Authorization header")));
    }
    String query = request.query();
    if (query != null && (query.contains("access_token") || query.contains("access%5F") || query.contains("access%5f"))) {
      for (String pair : query.split("&")) {
        int equals = pair.indexOf('=');
        String name = java.net.URLDecoder.decode(equals < 0 ? pair : pair.substring(0, equals),
            java.nio.charset.StandardCharsets.UTF_8);
        if (name.equalsIgnoreCase("access_token")) {
          throw new Rejection(400, "token-in-query", "send the access token in the Authorization header, never in the"
              + " URL (URLs end up in logs and browser history); get a new token, this one may have leaked", null,
              List.of(bearer(TokenRefusal.INVALID_REQUEST, "token in the query string")));
        }
      }
    }
  }

  /** RFC 6750: 401 invalid_token, 403 insufficient_scope, each with a challenge saying why; 503 with Retry-After. */
  private static Rejection bearerRejection(TokenRefusal refusal) {
    if (refusal.error() == null) return new Rejection(refusal.status(), refusal.type(), refusal.detail(), "60");
    return new Rejection(refusal.status(), refusal.type(), refusal.detail(), null,
        List.of(bearer(refusal.error(), refusal.detail())));
  }

  private static String bearer(String error, String description) {
    // error_description is a quoted-string of printable ASCII: the detail holds no token, only ids and words.
    String quotable = description.replaceAll("[^\\x20-\\x7e]|[\"\\\\]", "'");
    return BEARER_CHALLENGE + ", error=\"" + error + "\", error_description=\"" + quotable + "\"";
  }

  /** Which upstream? The public URL shape is {@code /{upstream}/{path}?{query}}; the policy judges the rest. */
  private void readTarget(Exchange exchange) {
    RequestJudge.Target target = RequestJudge.target(exchange.request.uri());
    exchange.target = target;
    exchange.upstreamName = target.upstream();
    exchange.upstreamTarget = target.rest();
  }

  /** May this caller do this, and as which service principal? A {@code $batch} is judged sub-request by sub-request. */
  private Future<Void> authorize(Exchange exchange) {
    HttpServerRequest request = exchange.request;
    RequestJudge judge = exchange.config.judge();
    if (judge.isBatch(exchange.target)) return authorizeBatch(exchange);
    Decision decision = judge.decide(exchange.caller.name(), request.method().name(), exchange.target,
        request.getHeader(HttpHeaders.CONTENT_TYPE), Forwarder.declaredBodyLength(request));
    return settle(exchange, decision);
  }

  /**
   * Reads the whole body (up to {@code batch.maxBodyBytes}) before anything goes upstream, judges every
   * sub-request in it, and keeps those exact bytes to forward. Judging 1,000 sub-requests takes milliseconds,
   * so a worker does it while the event loop goes on serving; the decision comes back to the event loop.
   */
  private Future<Void> authorizeBatch(Exchange exchange) {
    HttpServerRequest request = exchange.request;
    RequestJudge judge = exchange.config.judge();
    Context eventLoop = Vertx.currentContext();
    String caller = exchange.caller.name();
    RequestJudge.Target target = exchange.target;
    String method = request.method().name();
    String contentType = request.getHeader(HttpHeaders.CONTENT_TYPE);
    Decision.Deny refused = judge.beforeBody(method, target, contentType, Forwarder.declaredBodyLength(request));
    if (refused != null) return settle(exchange, refused);
    wantBody(exchange);
    return BoundedBody.read(request, judge.maxBodyBytes()).compose(
        body -> {
          exchange.body = body;
          return eventLoop.executeBlocking(() -> judge.judgeBatch(caller, method, target, contentType, body), false)
              .compose(decision -> settle(exchange, decision))
              .andThen(allowed -> {
                if (allowed.succeeded()) {
                  exchange.forwardedContentType = BatchJudge.forwardedContentType(contentType);
                }
              });
        },
        failure -> failure instanceof BoundedBody.TooLarge
            ? settle(exchange, judge.tooLarge())
            : Future.failedFuture(failure));
  }

  /**
   * The pipeline is about to read the body: from now on it must keep coming ({@link ConnectionGuard#watchBody}).
   * A caller that sent {@code Expect: 100-continue} waits for a {@code 100 Continue} before it sends its body: it
   * is told to go on only once what can be judged without the body allowed it, so a refused request costs no body.
   * The {@code Expect} header itself is never forwarded (hop-by-hop).
   */
  private void wantBody(Exchange exchange) {
    if (bodies != null && Forwarder.declaredBodyLength(exchange.request) != 0) {
      bodies.watchBody(exchange.request, reason -> reject(exchange, new Rejection(408, "body-timeout", reason)));
    }
    if (exchange.continueSent || !expectsContinue(exchange.request)) return;
    exchange.continueSent = true;
    exchange.request.response().writeContinue();
  }

  private static boolean expectsContinue(HttpServerRequest request) {
    String expect = request.getHeader(HttpHeaders.EXPECT);
    return expect != null && expect.equalsIgnoreCase("100-continue");
  }

  /**
   * Records an Allow on the exchange, or fails with the Deny's rejection; a header that would change what was judged
   * ({@link UnjudgedHeaders}) is refused unless the deciding rule lets it through.
   */
  private Future<Void> settle(Exchange exchange, Decision decision) {
    if (decision instanceof Decision.Deny deny) {
      return Future.failedFuture(new Rejection(deny.refusal().status(), deny.refusal().problemType(), deny.reason()));
    }
    UnjudgedHeaders.Refusal unjudged = UnjudgedHeaders.notAllowed(exchange.request.headers(),
        ((Decision.Allow) decision).allowedHeaders());
    if (unjudged != null) return Future.failedFuture(new Rejection(400, unjudged.problemType(), unjudged.reason()));
    exchange.allow = (Decision.Allow) decision;
    exchange.queryOptions = exchange.allow.queryOptions();
    exchange.upstream = exchange.config.upstreams().get(exchange.allow.upstream());
    return Future.succeededFuture();
  }

  /**
   * Is there budget left for this caller and its service principal on this upstream, has the upstream
   * not asked to hold off, and is there a free slot? Each {@code $batch} part counts as one request.
   */
  private Future<Void> limit(Exchange exchange) {
    return limiter.admit(exchange.config.budgets(), exchange.caller.name(), exchange.allow.servicePrincipal(),
        exchange.upstream, exchange.allow.requests()).compose(admission -> {
          exchange.admission = admission;
          exchange.rateLimit = admission.outcome();
          // A caller that hung up while queued has been recorded already: its slot goes back at once.
          if (exchange.recorded) exchange.releasePermit();
          if (admission.allowed()) return Future.succeededFuture();
          rateLimitHeaders(exchange.request.response().headers(), admission);
          return Future.failedFuture(new Rejection(admission.status(), admission.outcome(), admission.detail(),
              admission.retryAfterSeconds()));
        });
  }

  /** The IETF draft's {@code RateLimit-Policy} and {@code RateLimit}: every budget, and what is left of it. */
  private static void rateLimitHeaders(MultiMap headers, Admission admission) {
    if (admission == null || admission.policyHeader() == null) return;
    headers.set(Admission.POLICY_HEADER, admission.policyHeader());
    headers.set(Admission.RATE_LIMIT_HEADER, admission.rateLimitHeader());
  }

  /** Which bearer token? The service principal's, for the upstream's scope, from the cache if it holds one. */
  private Future<AccessToken> token(Exchange exchange) {
    long start = System.nanoTime();
    return tokens.token(exchange.allow.servicePrincipal(), exchange.upstream.scope())
        .andThen(done -> exchange.tokenNanos = System.nanoTime() - start);
  }

  /**
   * Sends the request upstream. A 401 means the upstream no longer accepts the token (revoked, or
   * rotated keys): the token is evicted and, when the body can be sent again, the request is retried once with a
   * fresh one. A 401 that is not retried (refused again, evicted a moment ago already, or a body that cannot be sent
   * twice) becomes the gateway's own {@code upstream-rejected-token} problem.
   */
  private Future<Answer> forward(Exchange exchange, Outbound outbound, AccessToken token) {
    long start = System.nanoTime();
    return forwarder.send(outbound, exchange.upstream, token).compose(answer -> {
      exchange.upstreamNanos = System.nanoTime() - start;
      exchange.config.metrics().upstreamLatency(exchange.upstream, exchange.upstreamNanos);
      exchange.upstreamRequestId = answer.headers().get(exchange.upstream.requestIdHeader());
      // A 429, or 503 with Retry-After, holds this service principal's calls to this upstream.
      limiter.observe(exchange.allow.servicePrincipal(), exchange.upstream, answer.status(), answer.headers());
      rateLimitHeaders(answer.headers(), exchange.admission);
      if (answer.status() != 401) return Future.succeededFuture(answer);
      forwarder.discard(answer);
      boolean fresher = tokens.evict(exchange.allow.servicePrincipal(), exchange.upstream.scope(), token);
      if (!fresher || !outbound.replayable() || exchange.retriedAfter401) {
        // The upstream's bare 401 would read as the gateway refusing the caller's key: say whose token it was.
        return Future.failedFuture(upstreamRejectedToken(exchange, fresher && !outbound.replayable()));
      }
      exchange.retriedAfter401 = true;
      return token(exchange).compose(fresh -> forward(exchange, outbound, fresh));
    });
  }

  /**
   * The upstream refused the service principal's token: nothing the caller can fix (perhaps by retrying). The caller
   * is told that much; which principal and upstream goes to the audit record.
   */
  private static Rejection upstreamRejectedToken(Exchange exchange, boolean retryMayHelp) {
    String who = "upstream '" + exchange.upstream.name() + "' refused the token of service principal '"
        + exchange.allow.servicePrincipal() + "' (HTTP 401)";
    return retryMayHelp
        ? Rejection.toldLess(503, "upstream-rejected-token", "the upstream refused the token the gateway presented "
            + "for you; the gateway fetches a new one: send the request again", "1",
            who + "; the token was dropped, and the body could not be sent twice")
        : Rejection.toldLess(502, "upstream-rejected-token", "the upstream refused the token the gateway presented "
            + "for you, a fresh one too; its operators can see why in the audit record of this request id", null,
            who + ", a freshly fetched one too: the service principal likely lacks access to this upstream");
  }

  /**
   * Strict audit: the response is completed only once its record is on disk. A streamed body's last
   * chunk and end wait for it ({@link EndAfter}); a body read whole is recorded before it is sent with its head.
   */
  private Future<Answer> holdEndForAudit(Exchange exchange, Answer answer) {
    if (!audit.strict()) return Future.succeededFuture(answer);
    if (answer.body() instanceof WholeBody whole) {
      return recordDurably(exchange, answer.status(), whole.length()).map(answer);
    }
    Body.Streamed body = (Body.Streamed) answer.body();
    HttpServerResponse response = exchange.request.response();
    answer.body(new Body.Streamed(new EndAfter(body.stream(),
        bytesOut -> recordDurably(exchange, response.getStatusCode(), bytesOut)), body.length()));
    return Future.succeededFuture(answer);
  }

  /** Maps what went wrong to what the caller is told; messages of these failures never hold secrets. */
  private static Rejection asRejection(Throwable failure) {
    if (failure instanceof Rejection rejection) return rejection;
    if (failure instanceof UpstreamFailure upstream) {
      return switch (upstream.kind()) {
        case UNREACHABLE -> new Rejection(502, "upstream-unreachable", upstream.getMessage());
        case TIMEOUT -> new Rejection(504, "upstream-timeout", upstream.getMessage());
        case BROKE_OFF -> new Rejection(502, "connection-closed", upstream.getMessage());
      };
    }
    if (failure instanceof ClosedChannelException) {
      // The caller hung up (its close can overtake response.closed()), or the upstream closed a pooled connection.
      return new Rejection(502, "connection-closed", "a connection closed before the exchange was complete");
    }
    return Failures.asRejection(failure);
  }

  private void reject(Exchange exchange, Rejection rejection) {
    exchange.rejection = rejection;
    exchange.request.resume(); // reads and drops whatever body the caller is still sending
    HttpServerResponse response = exchange.request.response();
    if (response.ended() || response.closed()) return;
    if (response.headWritten()) {
      response.reset(); // the upstream's answer was already under way: cut it rather than corrupt it
      return;
    }
    JsonObject problem = new JsonObject()
        .put("type", PROBLEM_TYPE_PREFIX + rejection.type())
        .put("title", HttpResponseStatus.valueOf(rejection.status()).reasonPhrase())
        .put("status", rejection.status())
        .put("detail", rejection.detail())
        .put("requestId", exchange.requestId);
    if (exchange.caller != null && !java.util.Objects.equals(rejection.operatorDetail(), rejection.detail())
        && exchange.config.diagnosticCallers().contains(exchange.caller.name())) {
      problem.put("operatorDetail", rejection.operatorDetail()); // callers.NAME.diagnostics: never a secret either
    }
    // Refused before its 100 Continue: the body may never come, so the connection cannot carry another request.
    if (!exchange.continueSent && expectsContinue(exchange.request)
        && exchange.request.version() != io.vertx.core.http.HttpVersion.HTTP_2) {
      response.putHeader(HttpHeaders.CONNECTION, "close");
    }
    response.setStatusCode(rejection.status())
        .putHeader(Forwarder.REQUEST_ID_HEADER, exchange.requestId)
        .putHeader("content-type", "application/problem+json");
    if (rejection.challenges() != null) {
      rejection.challenges().forEach(challenge -> response.headers().add("www-authenticate", challenge));
    } else if (rejection.status() == 401) {
      response.putHeader("www-authenticate", API_KEY_CHALLENGE);
    }
    if (rejection.retryAfterSeconds() != null) response.putHeader("retry-after", rejection.retryAfterSeconds());
    Buffer body = problem.toBuffer();
    if (!audit.strict() || exchange.recorded) {
      response.end(body);
      return;
    }
    recordDurably(exchange, rejection.status(), body.length()).onComplete(durable -> response.end(body));
  }

  /** Leaves the one audit record of this exchange, when the response ended or the connection went away. */
  private void record(Exchange exchange) {
    if (exchange.recorded) return;
    HttpServerResponse response = exchange.request.response();
    boolean completed = response.ended() && !response.closed();
    // Nothing was sent when the caller hung up first: 499, as nginx says, rather than a 200 never seen.
    int status = completed || response.headWritten() ? response.getStatusCode() : CLIENT_CLOSED_REQUEST;
    audit.append(auditRecord(exchange, status, completed, response.bytesWritten()));
  }

  /** Strict audit: the record of a response about to complete with {@code status}, once it is on disk. */
  private Future<Void> recordDurably(Exchange exchange, int status, long bytesOut) {
    return audit.appendDurably(auditRecord(exchange, status, true, bytesOut));
  }

  private AuditRecord auditRecord(Exchange exchange, int status, boolean completed, long bytesOut) {
    exchange.recorded = true;
    exchange.releasePermit();
    if (exchange.underWay) {
      exchange.underWay = false;
      underWay.decrementAndGet();
    }
    if (exchange.refusing) {
      exchange.refusing = false;
      refusing.decrementAndGet();
    }
    exchange.bytesIn = exchange.request.bytesRead();
    exchange.bytesOut = bytesOut;
    Rejection rejection = exchange.rejection;
    String outcome = rejection != null ? (rejection.status() < 500 ? "denied" : "failed")
        : completed ? "forwarded" : "failed";
    String reason = rejection != null ? rejection.operatorDetail()
        : completed ? null : "the connection closed before the response was complete";
    String caller = exchange.caller == null ? null : exchange.caller.name();
    Decision.Allow allow = exchange.allow;
    exchange.config.metrics().request(caller,
        exchange.upstream == null ? exchange.upstreamName : exchange.upstream.name(), status,
        rejection == null ? null : rejection.type());
    return new AuditRecord(
        exchange.startTime,
        exchange.requestId,
        caller,
        exchange.caller == null ? null : exchange.caller.authentication(),
        exchange.callerAppId,
        exchange.callerObjectId,
        allow == null ? null : allow.servicePrincipal(),
        exchange.upstreamName,
        exchange.request.method().name(),
        allow != null ? path(allow.target())
            : printable(exchange.upstreamTarget != null ? path(exchange.upstreamTarget) : exchange.request.path()),
        exchange.queryOptions,
        allow == null ? null : query(allow.target()),
        allow == null ? null : allow.ruleId(),
        outcome,
        rejection == null ? null : rejection.type(),
        reason,
        exchange.rateLimit,
        status,
        exchange.bytesIn,
        exchange.bytesOut,
        millis(System.nanoTime() - exchange.startNanos),
        exchange.tokenNanos < 0 ? null : millis(exchange.tokenNanos),
        exchange.upstreamNanos < 0 ? null : millis(exchange.upstreamNanos),
        exchange.upstreamRequestId,
        allow == null || allow.batch().isEmpty() ? List.of() : allow.batch().stream()
            .map(sub -> new AuditRecord.SubRequest(sub.id(), sub.method(), sub.path(), sub.ruleId())).toList(),
        null);
  }

  private static String path(String target) {
    int question = target.indexOf('?');
    return question < 0 ? target : target.substring(0, question);
  }

  /**
   * A refused target as received, written so the record is exact and valid UTF-8: each raw byte that is not
   * printable ASCII (Vert.x hands them over one char a byte) is percent-encoded.
   */
  static String printable(String raw) {
    if (raw == null) return null;
    StringBuilder out = null;
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      boolean plain = c > 0x20 && c < 0x7f;
      if (plain && out == null) continue;
      if (out == null) out = new StringBuilder(raw.length() + 8).append(raw, 0, i);
      if (plain) {
        out.append(c);
      } else {
        for (byte b : String.valueOf(c).getBytes(c <= 0xff ? java.nio.charset.StandardCharsets.ISO_8859_1
            : java.nio.charset.StandardCharsets.UTF_8)) {
          out.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
              .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
        }
      }
    }
    return out == null ? raw : out.toString();
  }

  private static String query(String target) {
    int question = target.indexOf('?');
    return question < 0 ? null : target.substring(question + 1);
  }

  private static double millis(long nanos) {
    return Math.round(nanos / 1_000.0) / 1_000.0;
  }
}
