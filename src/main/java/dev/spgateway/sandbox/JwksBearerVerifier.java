package dev.spgateway.sandbox;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.NoSuchKeyIdException;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.charset.StandardCharsets;
import java.security.SignatureException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Verifies an RS256 bearer token the way Microsoft Graph or Dataverse would: signature against the
 * issuer's JWKS, {@code exp}/{@code nbf}, {@code iss} and {@code aud}.
 *
 * <p>The JWKS is fetched on first use and cached. A token signed with a key id the cache does not know
 * triggers one refetch (shared by concurrent verifications, and at most once per
 * {@link #MIN_REFETCH_INTERVAL}, so tokens with made-up key ids cannot turn into a stream of fetches).
 */
public final class JwksBearerVerifier implements BearerVerifier {

  /** Tolerated difference between the issuer's clock and ours. */
  public static final Duration CLOCK_SKEW = Duration.ofSeconds(60);
  /** Microsoft.IdentityModel's default for refreshing metadata on an unknown key. */
  public static final Duration MIN_REFETCH_INTERVAL = Duration.ofMinutes(5);

  private static final long JWKS_TIMEOUT_MS = 10_000;

  private final Vertx vertx;
  private final WebClient client;
  private final String jwksUrl;
  private final String expectedIssuer;
  private final String expectedAudience;
  private final Clock clock;
  private final AtomicReference<Future<KeySet>> keys = new AtomicReference<>();

  public JwksBearerVerifier(Vertx vertx, String jwksUrl, String expectedIssuer, String expectedAudience) {
    this(vertx, jwksUrl, expectedIssuer, expectedAudience, Clock.systemUTC());
  }

  public JwksBearerVerifier(
      Vertx vertx, String jwksUrl, String expectedIssuer, String expectedAudience, Clock clock) {
    this.vertx = vertx;
    this.client = WebClient.create(vertx);
    this.jwksUrl = jwksUrl;
    this.expectedIssuer = expectedIssuer;
    this.expectedAudience = expectedAudience;
    this.clock = clock;
  }

  @Override
  public Future<JsonObject> verify(String bearerToken) {
    if (bearerToken == null || bearerToken.isBlank()) {
      return Future.failedFuture(new InvalidBearerTokenException("access token is empty"));
    }
    JsonObject header;
    JsonObject claims;
    try {
      String[] segments = bearerToken.split("\\.");
      if (segments.length != 3) {
        throw new IllegalArgumentException();
      }
      header = decodeSegment(segments[0]);
      claims = decodeSegment(segments[1]);
    } catch (RuntimeException notAJwt) {
      return Future.failedFuture(new InvalidBearerTokenException("malformed token: not a signed JWT"));
    }
    String alg = header.getString("alg");
    if (!"RS256".equals(alg)) {
      return Future.failedFuture(
          new InvalidBearerTokenException("unsupported algorithm '" + alg + "': expected RS256"));
    }
    String kid = header.getString("kid");
    return onCallersContext(keysFor(kid)
        .compose(keySet -> keySet.auth()
            .authenticate(new TokenCredentials(bearerToken))
            .recover(failure -> Future.failedFuture(signatureProblem(failure, kid))))
        .compose(signatureOk -> checkClaims(claims)));
  }

  /** A JWKS fetch shared with a caller on another event loop would otherwise complete on its thread. */
  private <T> Future<T> onCallersContext(Future<T> work) {
    Context caller = vertx.getOrCreateContext();
    Promise<T> result = Promise.promise();
    work.onComplete(outcome -> {
      if (Vertx.currentContext() == caller) {
        result.handle(outcome);
      } else {
        caller.runOnContext(onCaller -> result.handle(outcome));
      }
    });
    return result.future();
  }

  private Future<KeySet> keysFor(String kid) {
    Future<KeySet> cached = keys.get();
    Future<KeySet> current = cached == null ? refetch(null) : cached;
    return current.compose(keySet -> {
      boolean known = kid == null || keySet.kids().contains(kid);
      boolean fetchedRecently =
          clock.instant().isBefore(keySet.fetchedAt().plus(MIN_REFETCH_INTERVAL));
      return known || fetchedRecently ? Future.succeededFuture(keySet) : refetch(current);
    });
  }

  /** Replaces {@code stale} (null at first) with a fresh fetch; concurrent callers share one fetch. */
  private Future<KeySet> refetch(Future<KeySet> stale) {
    Promise<KeySet> fresh = Promise.promise();
    if (!keys.compareAndSet(stale, fresh.future())) {
      Future<KeySet> winner = keys.get();
      return winner != null ? winner : refetch(null);
    }
    fetchJwks().onComplete(result -> {
      if (result.failed()) {
        keys.compareAndSet(fresh.future(), stale); // a failure is not cached: the next call retries
      }
      fresh.handle(result);
    });
    return fresh.future();
  }

  private Future<KeySet> fetchJwks() {
    return client.getAbs(jwksUrl).timeout(JWKS_TIMEOUT_MS).send()
        .recover(unreachable -> Future.failedFuture(new IllegalStateException(
            "cannot fetch signing keys from " + jwksUrl + ": " + unreachable.getMessage())))
        .compose(this::toKeySet);
  }

  private Future<KeySet> toKeySet(HttpResponse<Buffer> response) {
    if (response.statusCode() != 200) {
      return Future.failedFuture(new IllegalStateException(
          "cannot fetch signing keys from " + jwksUrl + ": HTTP " + response.statusCode()));
    }
    JsonArray jwks;
    try {
      jwks = response.bodyAsJsonObject().getJsonArray("keys");
    } catch (RuntimeException notJson) {
      jwks = null;
    }
    if (jwks == null) {
      return Future.failedFuture(
          new IllegalStateException("signing keys from " + jwksUrl + " are not a JWKS"));
    }
    JWTAuthOptions options = new JWTAuthOptions()
        .setJWTOptions(new JWTOptions().setIgnoreExpiration(true)); // checked below, with our clock
    Set<String> kids = new HashSet<>();
    for (Object key : jwks) {
      JsonObject jwk = (JsonObject) key;
      // Only RSA signing keys can verify RS256; anything else in the set is not ours to judge.
      if ("RSA".equals(jwk.getString("kty")) && !"enc".equals(jwk.getString("use"))) {
        options.addJwk(jwk);
        kids.add(jwk.getString("kid"));
      }
    }
    return Future.succeededFuture(new KeySet(JWTAuth.create(vertx, options), kids, clock.instant()));
  }

  private static Throwable signatureProblem(Throwable failure, String kid) {
    if (failure instanceof NoSuchKeyIdException) {
      return new InvalidBearerTokenException("unknown signing key (kid '" + kid + "')");
    }
    if (failure instanceof SignatureException || failure.getCause() instanceof SignatureException) {
      return new InvalidBearerTokenException("invalid signature");
    }
    return new InvalidBearerTokenException("token could not be verified");
  }

  private Future<JsonObject> checkClaims(JsonObject claims) {
    Instant now = clock.instant();
    Long exp = numericDate(claims, "exp");
    Long nbf = numericDate(claims, "nbf");
    String problem = null;
    if (exp == null) {
      problem = "token has no expiry (exp)";
    } else if (!now.minus(CLOCK_SKEW).isBefore(Instant.ofEpochSecond(exp))) {
      problem = "token expired at " + Instant.ofEpochSecond(exp);
    } else if (nbf != null && now.plus(CLOCK_SKEW).isBefore(Instant.ofEpochSecond(nbf))) {
      problem = "token not valid before " + Instant.ofEpochSecond(nbf);
    } else if (!expectedIssuer.equals(claims.getValue("iss"))) {
      problem = "invalid issuer: expected " + expectedIssuer;
    } else if (!hasAudience(claims.getValue("aud"))) {
      problem = "invalid audience: expected " + expectedAudience;
    }
    return problem == null
        ? Future.succeededFuture(claims)
        : Future.failedFuture(new InvalidBearerTokenException(problem));
  }

  private boolean hasAudience(Object aud) {
    if (aud instanceof JsonArray audiences) {
      return audiences.contains(expectedAudience);
    }
    return expectedAudience.equals(aud);
  }

  private static Long numericDate(JsonObject claims, String name) {
    return claims.getValue(name) instanceof Number number ? number.longValue() : null;
  }

  private static JsonObject decodeSegment(String segment) {
    return new JsonObject(new String(Base64.getUrlDecoder().decode(segment), StandardCharsets.UTF_8));
  }

  private record KeySet(JWTAuth auth, Set<String> kids, Instant fetchedAt) {}
}
