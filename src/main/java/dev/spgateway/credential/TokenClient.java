package dev.spgateway.credential;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/** One OAuth 2.0 client-credentials request to the Entra ID token endpoint. */
public final class TokenClient {

  public static final URI DEFAULT_AUTHORITY = URI.create("https://login.microsoftonline.com");
  static final String JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

  // What Entra's error fields look like. Anything else is dropped rather than echoed into
  // messages and metric tags: an unexpected endpoint could put anything there, a token included.
  private static final Pattern ERROR_CODE = Pattern.compile("[A-Za-z0-9_]{1,64}");
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9-]{1,64}");
  private static final Pattern MEDIA_TYPE = Pattern.compile("[A-Za-z0-9.+-]{1,64}/[A-Za-z0-9.+-]{1,64}");

  private final WebClient client;
  private final String authority;
  private final Clock clock;

  /**
   * @param authority the Entra ID authority host, {@link #DEFAULT_AUTHORITY} for the public cloud;
   *     another for sovereign clouds or a local stand-in
   * @param clock sets a token's expiry from its {@code expires_in}
   */
  public TokenClient(WebClient client, URI authority, Clock clock) {
    this.client = client;
    this.authority = authority.toString().replaceAll("/+$", "");
    this.clock = clock;
  }

  /**
   * Asks for a token for {@code scope} (e.g. {@code https://graph.microsoft.com/.default}) with a client secret.
   * Fails with a {@link TokenException} only.
   */
  public Future<AccessToken> request(
      String principalName, ServicePrincipalConfig principal, String clientSecret, String scope, Duration timeout) {
    return request(principalName, principal, MultiMap.caseInsensitiveMultiMap().add("client_secret", clientSecret),
        scope, timeout);
  }

  /**
   * As {@link #request(String, ServicePrincipalConfig, String, String, Duration)}, proving the client with a signed
   * JWT (a certificate's assertion, or a federated identity's token) instead of a secret.
   */
  public Future<AccessToken> requestWithAssertion(
      String principalName, ServicePrincipalConfig principal, String assertion, String scope, Duration timeout) {
    return request(principalName, principal, MultiMap.caseInsensitiveMultiMap()
        .add("client_assertion_type", JWT_BEARER)
        .add("client_assertion", assertion), scope, timeout);
  }

  /** The token endpoint a principal's tokens come from; a client assertion's audience. */
  public String tokenEndpoint(ServicePrincipalConfig principal) {
    return authority + "/" + URLEncoder.encode(principal.tenant(), StandardCharsets.UTF_8) + "/oauth2/v2.0/token";
  }

  private Future<AccessToken> request(String principalName, ServicePrincipalConfig principal, MultiMap proof,
      String scope, Duration timeout) {
    // expires_in counts from when Entra issued the token, which is after we asked: counting from
    // the moment we asked errs on the safe side.
    Instant askedAt = clock.instant();
    String endpoint = tokenEndpoint(principal);
    MultiMap form = MultiMap.caseInsensitiveMultiMap()
        .add("grant_type", "client_credentials")
        .add("client_id", principal.clientId())
        .addAll(proof)
        .add("scope", scope);
    return client.postAbs(endpoint)
        .putHeader("Accept", "application/json")
        .timeout(timeout.toMillis())
        .sendForm(form)
        .transform(answer -> answered(principalName, principal.clientId(), endpoint, askedAt, answer));
  }

  /**
   * A token for a user-assigned managed identity from the host: the instance metadata service ({@code
   * GET ?api-version=2018-02-01&resource=...&client_id=...} with {@code Metadata: true}), or, given an {@code
   * identityHeader}, App Service's identity endpoint ({@code api-version=2019-08-01} with {@code X-IDENTITY-HEADER}).
   */
  public Future<AccessToken> requestFromManagedIdentity(String principalName, String clientId, String endpoint,
      String identityHeader, String scope, Duration timeout) {
    Instant askedAt = clock.instant();
    // Both take a resource, not a scope: https://graph.microsoft.com/.default -> https://graph.microsoft.com
    String resource = scope.endsWith("/.default") ? scope.substring(0, scope.length() - "/.default".length()) : scope;
    var request = client.getAbs(endpoint)
        .addQueryParam("resource", resource)
        .addQueryParam("client_id", clientId)
        .putHeader("Accept", "application/json")
        .timeout(timeout.toMillis());
    if (identityHeader == null) {
      request.addQueryParam("api-version", "2018-02-01").putHeader("Metadata", "true"); // IMDS
    } else {
      request.addQueryParam("api-version", "2019-08-01").putHeader("X-IDENTITY-HEADER", identityHeader); // App Service
    }
    return request.send().transform(answer -> answered(principalName, clientId, endpoint, askedAt, answer));
  }

  private static Future<AccessToken> answered(String principalName, String clientId, String endpoint, Instant askedAt,
      io.vertx.core.AsyncResult<HttpResponse<Buffer>> answer) {
    if (answer.failed()) {
      Throwable cause = answer.cause();
      return Future.failedFuture(cause instanceof TimeoutException
          ? TokenException.timeout(principalName, clientId, endpoint, cause)
          : TokenException.unreachable(principalName, clientId, endpoint, cause));
    }
    return read(principalName, clientId, askedAt, answer.result());
  }

  private static Future<AccessToken> read(
      String principalName, String clientId, Instant askedAt, HttpResponse<Buffer> response) {
    int status = response.statusCode();
    JsonObject body = jsonObjectOrNull(response.body());
    if (status / 100 == 2) {
      if (body == null) {
        return Future.failedFuture(TokenException.invalidResponse(
            principalName, clientId, status, "answer is not a JSON object" + contentType(response)));
      }
      Object token = body.getValue("access_token");
      Long expiresIn = seconds(body.getValue("expires_in"));
      // App Service's identity endpoint says when, not how long: expires_on, in seconds since 1970.
      Long expiresOn = expiresIn == null ? seconds(body.getValue("expires_on")) : null;
      Instant expires = expiresIn != null ? askedAt.plusSeconds(expiresIn)
          : expiresOn != null ? Instant.ofEpochSecond(expiresOn) : null;
      if (!(token instanceof String value) || value.isBlank() || expires == null || !expires.isAfter(askedAt)) {
        return Future.failedFuture(TokenException.invalidResponse(principalName, clientId, status,
            "answer has no access_token with a positive expires_in or a future expires_on"));
      }
      return Future.succeededFuture(new AccessToken(value, expires));
    }
    if (body == null) {
      return Future.failedFuture(TokenException.rejected(
          principalName, clientId, status, null, null, null, null,
          "with a non-JSON answer" + contentType(response), retryAfter(response)));
    }
    return Future.failedFuture(TokenException.rejected(
        principalName, clientId, status,
        matching(body.getValue("error"), ERROR_CODE),
        firstAadstsCode(body.getValue("error_codes")),
        matching(body.getValue("trace_id"), ID),
        matching(body.getValue("correlation_id"), ID),
        null, retryAfter(response)));
  }

  /** Entra's (or IMDS's) Retry-After in seconds, when it sent one in that form (not an HTTP date). */
  private static Long retryAfter(HttpResponse<Buffer> response) {
    String header = response.getHeader("Retry-After");
    if (header == null || !header.trim().matches("[0-9]{1,6}")) return null;
    return Long.parseLong(header.trim());
  }

  private static JsonObject jsonObjectOrNull(Buffer body) {
    if (body == null || body.length() == 0) {
      return null;
    }
    try {
      return new JsonObject(body);
    } catch (DecodeException notAJsonObject) {
      return null;
    }
  }

  private static String contentType(HttpResponse<Buffer> response) {
    String header = response.getHeader("Content-Type");
    String mediaType = header == null ? null : matching(header.split(";", 2)[0].trim(), MEDIA_TYPE);
    return mediaType == null ? "" : " (" + mediaType + ")";
  }

  private static Long seconds(Object value) {
    if (value instanceof Number number) {
      return number.longValue();
    }
    if (value instanceof String text) { // some token endpoints send it as a string
      try {
        return Long.parseLong(text.trim());
      } catch (NumberFormatException notANumber) {
        return null;
      }
    }
    return null;
  }

  private static String firstAadstsCode(Object errorCodes) {
    if (errorCodes instanceof JsonArray codes && !codes.isEmpty() && codes.getValue(0) instanceof Number code) {
      return "AADSTS" + code.longValue();
    }
    return null;
  }

  private static String matching(Object value, Pattern pattern) {
    return value instanceof String text && pattern.matcher(text).matches() ? text : null;
  }
}
