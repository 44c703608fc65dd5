package dev.spgateway.sandbox;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/**
 * Microsoft Graph v1.0 on plain HTTP with a small in-memory directory: {@code /users} (paged),
 * {@code /users/{id or userPrincipalName}}, {@code /users/{id}/sendMail}, a JSON {@code $batch} that runs
 * {@code GET /users/{id}} sub-requests (others are answered 501), and Graph's answers for
 * {@code /me} and unknown segments. Every request needs a bearer token the verifier accepts (expected
 * audience {@code https://graph.microsoft.com}).
 *
 * <p>App roles are checked loosely: only a token that carries a {@code roles} claim is held to it
 * (tokens from mock-oauth2-server carry none).
 */
public final class GraphStandIn extends StandInServer {

  public static final String AUDIENCE = "https://graph.microsoft.com";

  private static final String JSON = "application/json;odata.metadata=minimal;odata.streaming=true;"
      + "IEEE754Compatible=false;charset=utf-8";
  private static final String METADATA = "https://graph.microsoft.com/v1.0/$metadata#";
  private static final String WWW_AUTHENTICATE = "Bearer realm=\"\", authorization_uri="
      + "\"https://login.microsoftonline.com/common/oauth2/authorize\", "
      + "client_id=\"00000003-0000-0000-c000-000000000000\"";
  private static final int DEFAULT_PAGE_SIZE = 100;
  private static final Set<String> READ_USERS_ROLES =
      Set.of("User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All");
  private static final DateTimeFormatter INNER_ERROR_DATE =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);
  /** RFC 9110's IMF-fixdate, as Graph writes it (RFC_1123_DATE_TIME would drop the day's leading zero). */
  private static final DateTimeFormatter HTTP_DATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", java.util.Locale.US);

  private static final List<JsonObject> DIRECTORY = List.of(
      user("87d349ed-44d7-43e1-9a83-5f2406dee5bd", "Adele", "Vance", "Retail Manager", "Seattle"),
      user("626cbf8c-5dde-46b0-8385-9e40d64736fe", "Alex", "Wilber", "Marketing Assistant", "Tulsa"),
      user("074e56ea-0b50-4461-89e5-c67ae14a2c0b", "Diego", "Siciliani", "HR Manager", "Birmingham"),
      user("16cfe710-1625-4806-9990-91b8f0afee35", "Grady", "Archie", "Designer", "Bloomington"),
      user("e8a02cc7-df4d-4778-956d-784cc9506e5a", "Megan", "Bowen", "Auditor", "Pittsburgh"));

  private final BearerVerifier verifier;

  public GraphStandIn(Vertx vertx, BearerVerifier verifier) {
    this(vertx, 0, verifier);
  }

  public GraphStandIn(Vertx vertx, int port, BearerVerifier verifier) {
    super(vertx, port);
    this.verifier = verifier;
  }

  public Future<GraphStandIn> start() {
    Router router = http.newRouter();
    router.route().handler(this::graphHeaders);
    router.route().handler(this::authenticate);
    router.route().handler(this::dispatch);
    return http.listen(router).map(this);
  }

  /** The ids of the directory's users, in the order {@code /users} lists them. */
  public static List<String> userIds() {
    return DIRECTORY.stream().map(user -> user.getString("id")).toList();
  }

  private void graphHeaders(RoutingContext ctx) {
    String clientRequestId = ctx.request().getHeader("client-request-id");
    ctx.put("request-id", StandInHttp.newGuid());
    ctx.put("client-request-id", clientRequestId != null ? clientRequestId : StandInHttp.newGuid());
    ctx.response()
        .putHeader("request-id", (String) ctx.get("request-id"))
        .putHeader("client-request-id", (String) ctx.get("client-request-id"))
        .putHeader("Date", HTTP_DATE.format(Instant.now().atOffset(ZoneOffset.UTC)));
    ctx.next();
  }

  private void authenticate(RoutingContext ctx) {
    authenticate(ctx, verifier,
        (refused, reason) -> unauthenticated(refused,
            reason == null ? "Access token is empty." : "Access token validation failure: " + reason),
        (broken, failure) -> error(broken, 500, "generalException",
            "Could not verify the access token: " + failure.getMessage()));
  }

  private void unauthenticated(RoutingContext ctx, String message) {
    ctx.response().putHeader("WWW-Authenticate", WWW_AUTHENTICATE);
    error(ctx, 401, "InvalidAuthenticationToken", message);
  }

  private void dispatch(RoutingContext ctx) {
    List<String> segments = Arrays.stream(ctx.normalizedPath().split("/"))
        .filter(segment -> !segment.isEmpty())
        .toList();
    if (segments.isEmpty() || !segments.get(0).equals("v1.0")) {
      error(ctx, 400, "BadRequest", "Invalid version: " + (segments.isEmpty() ? "" : segments.get(0)));
      return;
    }
    List<String> resource = segments.subList(1, segments.size());
    HttpMethod method = ctx.request().method();
    String first = resource.isEmpty() ? "" : resource.get(0);
    if (first.equals("$batch") && resource.size() == 1) {
      onlyFor(ctx, HttpMethod.POST, method, () -> batch(ctx));
    } else if (first.equals("me")) {
      error(ctx, 400, "BadRequest", "/me request is only valid with delegated authentication flow.");
    } else if (!first.equals("users")) {
      segmentNotFound(ctx, first);
    } else if (resource.size() == 1) {
      onlyFor(ctx, HttpMethod.GET, method, () -> listUsers(ctx));
    } else if (resource.size() == 2) {
      onlyFor(ctx, HttpMethod.GET, method, () -> getUser(ctx, resource.get(1)));
    } else if (resource.size() == 3 && resource.get(2).equals("sendMail")) {
      onlyFor(ctx, HttpMethod.POST, method, () -> sendMail(ctx, resource.get(1)));
    } else {
      segmentNotFound(ctx, resource.get(2));
    }
  }

  /** JSON batching, for the sub-requests this stand-in can run alone: {@code GET /users/{id}}. */
  private void batch(RoutingContext ctx) {
    JsonArray requests;
    try {
      requests = ctx.body().asJsonObject().getJsonArray("requests");
    } catch (DecodeException | ClassCastException | NullPointerException unreadable) {
      requests = null;
    }
    if (requests == null) {
      error(ctx, 400, "BadRequest", "Invalid batch payload format.");
      return;
    }
    JsonArray responses = new JsonArray();
    for (Object element : requests) {
      JsonObject request = (JsonObject) element;
      String[] path = request.getString("url", "").replaceFirst("^/", "").split("/");
      JsonObject user = path.length == 2 && path[0].equals("users") ? find(path[1]) : null;
      JsonObject response = new JsonObject().put("id", request.getString("id"));
      if (!"GET".equals(request.getString("method")) || path.length != 2 || !path[0].equals("users")) {
        response.put("status", 501).put("body", new JsonObject().put("error", new JsonObject()
            .put("code", "NotImplemented").put("message", "The sandbox's $batch runs GET /users/{id} only.")));
      } else if (user == null) {
        response.put("status", 404).put("body", new JsonObject().put("error", new JsonObject()
            .put("code", "Request_ResourceNotFound").put("message", "Resource '" + path[1] + "' does not exist.")));
      } else {
        response.put("status", 200).put("headers", new JsonObject().put("Content-Type", "application/json"))
            .put("body", user.copy().put("@odata.context", METADATA + "users/$entity"));
      }
      responses.add(response);
    }
    reply(ctx, 200, new JsonObject().put("responses", responses));
  }

  private void listUsers(RoutingContext ctx) {
    if (!hasAnyRole(ctx, READ_USERS_ROLES)) {
      error(ctx, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
      return;
    }
    List<String> select = select(ctx);
    if (select == null) {
      return;
    }
    String topParam = ctx.queryParams().get("$top");
    int top;
    try {
      top = topParam == null ? DEFAULT_PAGE_SIZE : Integer.parseInt(topParam);
    } catch (NumberFormatException notANumber) {
      top = 0;
    }
    if (top < 1 || top > 999) {
      error(ctx, 400, "Request_BadRequest",
          "Invalid page size specified: '" + topParam + "'. Must be between 1 and 999 inclusive.");
      return;
    }
    int offset = offset(ctx.queryParams().get("$skiptoken"));
    if (offset < 0 || offset > DIRECTORY.size()) {
      error(ctx, 400, "Request_BadRequest", "Invalid $skiptoken.");
      return;
    }
    int end = Math.min(offset + top, DIRECTORY.size());
    JsonArray page = new JsonArray();
    DIRECTORY.subList(offset, end).forEach(user -> page.add(project(user, select)));
    JsonObject body = new JsonObject().put("@odata.context", METADATA + "users" + selectSuffix(select));
    if (end < DIRECTORY.size()) {
      String selectParam = select.isEmpty() ? "" : "$select=" + String.join(",", select) + "&";
      body.put("@odata.nextLink", baseUrl() + "/v1.0/users?" + selectParam + "$top=" + top
          + "&$skiptoken=" + skipToken(end));
    }
    body.put("value", page);
    reply(ctx, 200, body);
  }

  private void getUser(RoutingContext ctx, String idOrUserPrincipalName) {
    if (!hasAnyRole(ctx, READ_USERS_ROLES)) {
      error(ctx, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
      return;
    }
    JsonObject user = find(idOrUserPrincipalName);
    if (user == null) {
      error(ctx, 404, "Request_ResourceNotFound", "Resource '" + idOrUserPrincipalName
          + "' does not exist or one of its queried reference-property objects are not present.");
      return;
    }
    List<String> select = select(ctx);
    if (select == null) {
      return;
    }
    JsonObject body = new JsonObject()
        .put("@odata.context", METADATA + "users" + selectSuffix(select) + "/$entity")
        .mergeIn(project(user, select));
    reply(ctx, 200, body);
  }

  private void sendMail(RoutingContext ctx, String idOrUserPrincipalName) {
    if (!hasAnyRole(ctx, Set.of("Mail.Send"))) {
      error(ctx, 403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.");
      return;
    }
    if (find(idOrUserPrincipalName) == null) {
      error(ctx, 404, "ErrorInvalidUser",
          "The requested user '" + idOrUserPrincipalName + "' is invalid.");
      return;
    }
    JsonObject request = StandInHttp.jsonObjectBody(ctx);
    if (request == null) {
      error(ctx, 400, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type"
          + " header is set and payload is of valid JSON format.");
      return;
    }
    if (!(request.getValue("message") instanceof JsonObject)) {
      error(ctx, 400, "ErrorInvalidRequest", "The request is invalid: a 'message' object is required.");
      return;
    }
    ctx.response().setStatusCode(202).end();
  }

  /** The $select list (empty when absent), or null after answering 400 for an unknown property. */
  private List<String> select(RoutingContext ctx) {
    String param = ctx.queryParams().get("$select");
    if (param == null || param.isBlank()) {
      return List.of();
    }
    List<String> properties = new ArrayList<>();
    for (String property : param.split(",")) {
      String name = property.trim();
      if (!DIRECTORY.get(0).containsKey(name)) {
        error(ctx, 400, "Request_BadRequest",
            "Could not find a property named '" + name + "' on type 'microsoft.graph.user'.");
        return null;
      }
      properties.add(name);
    }
    return properties;
  }

  private boolean hasAnyRole(RoutingContext ctx, Set<String> accepted) {
    JsonObject claims = ctx.get("claims");
    JsonArray roles = claims.getValue("roles") instanceof JsonArray array ? array : null;
    return roles == null || roles.stream().anyMatch(accepted::contains);
  }

  private void onlyFor(RoutingContext ctx, HttpMethod allowed, HttpMethod actual, Runnable handler) {
    if (allowed.equals(actual)) {
      handler.run();
    } else {
      error(ctx, 405, "Request_BadRequest", "Specified HTTP method is not allowed for the request uri.");
    }
  }

  private void segmentNotFound(RoutingContext ctx, String segment) {
    error(ctx, 400, "BadRequest", "Resource not found for the segment '" + segment + "'.");
  }

  private void error(RoutingContext ctx, int status, String code, String message) {
    JsonObject innerError = new JsonObject()
        .put("date", INNER_ERROR_DATE.format(Instant.now()))
        .put("request-id", (String) ctx.get("request-id"))
        .put("client-request-id", (String) ctx.get("client-request-id"));
    JsonObject error = new JsonObject().put("code", code).put("message", message)
        .put("innerError", innerError);
    reply(ctx, status, new JsonObject().put("error", error));
  }

  private static void reply(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().putHeader("OData-Version", "4.0");
    StandInHttp.sendJson(ctx, status, JSON, body);
  }

  private static JsonObject find(String idOrUserPrincipalName) {
    return DIRECTORY.stream()
        .filter(user -> user.getString("id").equalsIgnoreCase(idOrUserPrincipalName)
            || user.getString("userPrincipalName").equalsIgnoreCase(idOrUserPrincipalName))
        .findFirst()
        .orElse(null);
  }

  private static JsonObject project(JsonObject user, List<String> select) {
    if (select.isEmpty()) {
      return user.copy();
    }
    JsonObject projected = new JsonObject();
    select.forEach(name -> projected.put(name, user.getValue(name)));
    return projected;
  }

  private static String selectSuffix(List<String> select) {
    return select.isEmpty() ? "" : "(" + String.join(",", select) + ")";
  }

  /** Opaque to callers, as Graph's are; here it only carries the offset of the next page. */
  private static String skipToken(int offset) {
    return Base64.getUrlEncoder().withoutPadding()
        .encodeToString(("offset:" + offset).getBytes(StandardCharsets.UTF_8));
  }

  private static int offset(String skipToken) {
    if (skipToken == null) {
      return 0;
    }
    try {
      String decoded = new String(Base64.getUrlDecoder().decode(skipToken), StandardCharsets.UTF_8);
      return decoded.startsWith("offset:") ? Integer.parseInt(decoded.substring(7)) : -1;
    } catch (IllegalArgumentException malformed) {
      return -1;
    }
  }

  private static JsonObject user(String id, String given, String surname, String jobTitle, String office) {
    String userPrincipalName = given + surname.charAt(0) + "@contoso.onmicrosoft.com";
    return new JsonObject()
        .put("businessPhones", new JsonArray())
        .put("displayName", given + " " + surname)
        .put("givenName", given)
        .put("jobTitle", jobTitle)
        .put("mail", userPrincipalName)
        .put("mobilePhone", null)
        .put("officeLocation", office)
        .put("preferredLanguage", "en-US")
        .put("surname", surname)
        .put("userPrincipalName", userPrincipalName)
        .put("id", id);
  }
}
