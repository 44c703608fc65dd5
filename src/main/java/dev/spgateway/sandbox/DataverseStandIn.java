package dev.spgateway.sandbox;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One Dataverse environment's Web API (v9.2) on plain HTTP: {@code WhoAmI} and an in-memory
 * {@code accounts} entity set (list, read, create, upsert, delete), with Dataverse's headers and error
 * codes. Its {@code $batch} runs {@code GET accounts} sub-requests and answers the others 501. The verifier must expect the environment URL as the token audience.
 */
public final class DataverseStandIn extends StandInServer {

  private static final String API = "/api/data/v9.2/";
  private static final String JSON = "application/json; odata.metadata=minimal";
  private static final Pattern BATCH_REQUEST_LINE =
      Pattern.compile("^(GET|POST|PUT|PATCH|DELETE) (\\S+) HTTP/1\\.1\r?$", Pattern.MULTILINE);
  private static final Pattern ACCOUNT_KEY = Pattern.compile("accounts\\(([^)]*)\\)");
  private static final Pattern GUID =
      Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  private static final Set<String> WRITABLE = Set.of("accountid", "name", "accountnumber", "telephone1",
      "emailaddress1", "websiteurl", "address1_city", "revenue", "numberofemployees", "description");
  private static final Set<String> READ_ONLY = Set.of("statecode", "createdon", "modifiedon", "versionnumber");
  /** Rows per page when the caller asks for none, and the most Dataverse returns. */
  private static final int MAX_PAGE_SIZE = 5000;
  /** A $skiptoken decoded once: page number, the previous page in the inner cookie, and its last and first ids. */
  private static final Pattern PAGING_COOKIE = Pattern.compile("<cookie pagenumber=\"([0-9]+)\" pagingcookie=\""
      + "%3ccookie%20page%3d%22([0-9]+)%22%3e%3caccountid%20last%3d%22%7b([0-9A-F-]{36})%7d%22%20first%3d%22%7b"
      + "([0-9A-F-]{36})%7d%22%20%2f%3e%3c%2fcookie%3e\" istracking=\"False\" />");
  /** Dataverse allows 8,000 requests per user in a sliding 5-minute window. */
  private static final int BURST_LIMIT = 8000;

  private final String environmentUrl;
  private final BearerVerifier verifier;
  private final String businessUnitId = UUID.randomUUID().toString();
  private final String organizationId = UUID.randomUUID().toString();
  private final AtomicInteger burstRemaining = new AtomicInteger(BURST_LIMIT);
  private final AtomicLong versionNumbers = new AtomicLong(1_000_000);
  private final Map<String, JsonObject> accounts = new LinkedHashMap<>(); // guarded by itself
  private volatile String tenant = "common";

  public DataverseStandIn(Vertx vertx, String environmentUrl, BearerVerifier verifier) {
    this(vertx, 0, environmentUrl, verifier);
  }

  public DataverseStandIn(Vertx vertx, int port, String environmentUrl, BearerVerifier verifier) {
    super(vertx, port);
    this.environmentUrl = environmentUrl.endsWith("/")
        ? environmentUrl.substring(0, environmentUrl.length() - 1)
        : environmentUrl;
    this.verifier = verifier;
    seed("Fourth Coffee (sample)", "Renton");
    seed("Litware, Inc. (sample)", "Dallas");
    seed("Adventure Works (sample)", "Santa Cruz");
  }

  /** The tenant named in the 401 challenge's authorization_uri ("common" unless set). */
  public DataverseStandIn tenant(String tenantId) {
    this.tenant = tenantId;
    return this;
  }

  public Future<DataverseStandIn> start() {
    Router router = http.newRouter();
    router.route().handler(this::dataverseHeaders);
    router.route().handler(this::authenticate);
    router.route().handler(this::dispatch);
    return http.listen(router).map(this);
  }

  public String environmentUrl() {
    return environmentUrl;
  }

  /** A copy of the accounts as stored now. */
  public List<JsonObject> accounts() {
    synchronized (accounts) {
      return accounts.values().stream().map(JsonObject::copy).toList();
    }
  }

  private void dataverseHeaders(RoutingContext ctx) {
    String requestId = StandInHttp.newGuid();
    ctx.response()
        .putHeader("OData-Version", "4.0")
        .putHeader("x-ms-service-request-id", requestId)
        .putHeader("REQ_ID", requestId)
        .putHeader("x-ms-ratelimit-burst-remaining-xrm-requests",
            String.valueOf(Math.max(0, burstRemaining.decrementAndGet())))
        .putHeader("x-ms-ratelimit-time-remaining-xrm-requests", "1,200.00");
    ctx.next();
  }

  private void authenticate(RoutingContext ctx) {
    authenticate(ctx, verifier, (refused, reason) -> unauthenticated(refused),
        (broken, failure) -> error(broken, 500, "0x80040216", "An unexpected error occurred: " + failure.getMessage()));
  }

  /** Dataverse answers a bad token with an empty body and a challenge naming the resource. */
  private void unauthenticated(RoutingContext ctx) {
    ctx.response()
        .setStatusCode(401)
        .putHeader("WWW-Authenticate", "Bearer authorization_uri=https://login.microsoftonline.com/"
            + tenant + "/oauth2/authorize, resource_id=" + environmentUrl)
        .end();
  }

  private void dispatch(RoutingContext ctx) {
    String path = ctx.normalizedPath();
    if (!path.startsWith(API)) {
      error(ctx, 404, "0x80060888", "Resource not found for the segment '" + firstSegment(path) + "'.");
      return;
    }
    String resource = path.substring(API.length());
    HttpMethod method = ctx.request().method();
    Matcher key = ACCOUNT_KEY.matcher(resource);
    if (resource.equals("$batch")) {
      onlyFor(ctx, Set.of(HttpMethod.POST), () -> batch(ctx));
    } else if (resource.equals("WhoAmI") || resource.equals("WhoAmI()")) {
      onlyFor(ctx, Set.of(HttpMethod.GET), () -> whoAmI(ctx));
    } else if (resource.equals("accounts")) {
      onlyFor(ctx, Set.of(HttpMethod.GET, HttpMethod.POST),
          () -> {
            if (method.equals(HttpMethod.GET)) {
              listAccounts(ctx);
            } else {
              createAccount(ctx);
            }
          });
    } else if (key.matches()) {
      String id = key.group(1).toLowerCase();
      if (!GUID.matcher(id).matches()) {
        error(ctx, 400, "0x80060888", "Bad Request - Error in query syntax.");
        return;
      }
      onlyFor(ctx, Set.of(HttpMethod.GET, HttpMethod.PATCH, HttpMethod.DELETE), () -> {
        if (method.equals(HttpMethod.GET)) {
          getAccount(ctx, id);
        } else if (method.equals(HttpMethod.PATCH)) {
          upsertAccount(ctx, id);
        } else {
          deleteAccount(ctx, id);
        }
      });
    } else {
      error(ctx, 404, "0x80060888", "Resource not found for the segment '" + firstSegment(resource) + "'.");
    }
  }

  /**
   * A multipart batch response with one part per request line of the batch, in order: the account list for
   * {@code GET accounts}, 501 for anything else.
   */
  private void batch(RoutingContext ctx) {
    String boundary = "batchresponse_" + UUID.randomUUID();
    StringBuilder out = new StringBuilder();
    Matcher line = BATCH_REQUEST_LINE.matcher(ctx.body().asString(StandardCharsets.ISO_8859_1.name()));
    while (line.find()) {
      boolean listAccounts = line.group(1).equals("GET") && line.group(2).matches("(.*/)?accounts(\\?.*)?");
      JsonObject body = listAccounts
          ? new JsonObject().put("@odata.context", metadata("accounts")).put("value", new JsonArray(accounts()))
          : new JsonObject().put("error", new JsonObject().put("code", "0x80060888")
              .put("message", "The sandbox's $batch runs GET accounts only."));
      out.append("--").append(boundary).append("\r\nContent-Type: application/http\r\n")
          .append("Content-Transfer-Encoding: binary\r\n\r\n")
          .append(listAccounts ? "HTTP/1.1 200 OK" : "HTTP/1.1 501 Not Implemented")
          .append("\r\nContent-Type: ").append(JSON).append("\r\n\r\n").append(body.encode()).append("\r\n");
    }
    ctx.response().setStatusCode(200).putHeader("Content-Type", "multipart/mixed; boundary=" + boundary)
        .end(out.append("--").append(boundary).append("--\r\n").toString());
  }

  private void whoAmI(RoutingContext ctx) {
    JsonObject claims = ctx.get("claims");
    String principal = claims.getString("oid", claims.getString("sub", ""));
    // The application user Dataverse maps a service principal to: stable for the same principal.
    String userId = UUID.nameUUIDFromBytes(principal.getBytes(StandardCharsets.UTF_8)).toString();
    JsonObject body = new JsonObject()
        .put("@odata.context", metadata("Microsoft.Dynamics.CRM.WhoAmIResponse"))
        .put("BusinessUnitId", businessUnitId)
        .put("UserId", userId)
        .put("OrganizationId", organizationId);
    StandInHttp.sendJson(ctx, 200, JSON, body);
  }

  /**
   * Dataverse's server-driven paging: {@code Prefer: odata.maxpagesize=N} (5,000 by default and at most),
   * and, when rows remain, an absolute {@code @odata.nextLink} after {@code value} whose {@code $skiptoken}
   * holds a paging cookie encoded twice, exactly as Dataverse writes it. A cookie that comes back changed
   * in any byte is refused, as a real environment would fail to read it.
   */
  private void listAccounts(RoutingContext ctx) {
    List<String> select = select(ctx);
    if (select == null) {
      return;
    }
    String topParam = ctx.queryParams().get("$top");
    int top;
    try {
      top = topParam == null ? Integer.MAX_VALUE : Integer.parseInt(topParam);
    } catch (NumberFormatException notANumber) {
      top = -1;
    }
    if (top < 0) {
      error(ctx, 400, "0x80060888", "Invalid value '" + topParam + "' for $top query option found.");
      return;
    }
    int pageSize = maxPageSize(ctx.request().getHeader("Prefer"));
    List<JsonObject> all = accounts().stream().limit(top).toList();
    String rawToken = rawQueryValue(ctx.request().query(), "$skiptoken");
    int offset = 0;
    int pageNumber = 1;
    if (rawToken != null) {
      Matcher cookie = PAGING_COOKIE.matcher(java.net.URLDecoder.decode(rawToken, StandardCharsets.UTF_8));
      int last = -1;
      if (cookie.matches()) {
        pageNumber = Integer.parseInt(cookie.group(1));
        String lastId = cookie.group(3);
        for (int i = 0; i < all.size(); i++) {
          if (all.get(i).getString("accountid").equalsIgnoreCase(lastId)) last = i;
        }
      }
      if (last < 0 || !rawToken.equals(skipToken(pageNumber, cookie.group(2), all.get(last).getString("accountid"),
          cookie.group(4)))) {
        error(ctx, 400, "0x80060888", "The $skiptoken is not a paging cookie this environment wrote.");
        return;
      }
      offset = last + 1;
    }
    int end = Math.min(all.size(), offset + pageSize);
    JsonArray value = new JsonArray();
    all.subList(offset, end).forEach(account -> value.add(project(account, select)));
    JsonObject body = new JsonObject()
        .put("@odata.context", metadata("accounts" + selectSuffix(select)))
        .put("value", value);
    if (end < all.size()) {
      String others = withoutOption(ctx.request().query(), "$skiptoken");
      body.put("@odata.nextLink", environmentUrl + API + "accounts?" + (others.isEmpty() ? "" : others + "&")
          + "$skiptoken=" + skipToken(pageNumber + 1, Integer.toString(pageNumber),
              all.get(end - 1).getString("accountid"), all.get(offset).getString("accountid")));
    }
    if (ctx.request().getHeader("Prefer") != null) {
      ctx.response().putHeader("Preference-Applied", "odata.maxpagesize=" + pageSize);
    }
    StandInHttp.sendJson(ctx, 200, JSON, body);
  }

  /** The page size asked for with {@code Prefer: odata.maxpagesize=N}; Dataverse ignores more than 5,000. */
  private static int maxPageSize(String prefer) {
    if (prefer != null) {
      for (String preference : prefer.split(",")) {
        String[] pair = preference.trim().split("=", 2);
        if (pair.length == 2 && pair[0].equalsIgnoreCase("odata.maxpagesize") && pair[1].matches("[0-9]{1,4}")) {
          int size = Integer.parseInt(pair[1]);
          if (size >= 1) return size;
        }
      }
    }
    return MAX_PAGE_SIZE;
  }

  /**
   * The {@code $skiptoken} value as Dataverse writes it into a nextLink: a {@code cookie} element whose
   * {@code pagingcookie} attribute is itself a URL-encoded (lower-case hex) cookie, and the whole
   * URL-encoded again (upper-case hex, {@code =} and {@code /} left as they are).
   */
  static String skipToken(int pageNumber, String previousPage, String lastId, String firstId) {
    String inner = "<cookie page=\"" + previousPage + "\"><accountid last=\"{" + lastId.toUpperCase() + "}\" first=\"{"
        + firstId.toUpperCase() + "}\" /></cookie>";
    String cookie = "<cookie pagenumber=\"" + pageNumber + "\" pagingcookie=\"" + encode(inner, "", false)
        + "\" istracking=\"False\" />";
    return encode(cookie, "=/", true);
  }

  private static String encode(String text, String keep, boolean upperCase) {
    StringBuilder out = new StringBuilder();
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~".indexOf(c) >= 0
          || keep.indexOf(c) >= 0) {
        out.append(c);
      } else {
        String hex = String.format("%%%02x", b & 0xff);
        out.append(upperCase ? hex.toUpperCase() : hex);
      }
    }
    return out.toString();
  }

  /** The raw (still encoded) value of a query option, or null. */
  private static String rawQueryValue(String query, String name) {
    if (query == null) return null;
    for (String pair : query.split("&")) {
      if (pair.startsWith(name + "=")) return pair.substring(name.length() + 1);
    }
    return null;
  }

  private static String withoutOption(String query, String name) {
    if (query == null) return "";
    List<String> kept = new ArrayList<>();
    for (String pair : query.split("&")) {
      if (!pair.startsWith(name + "=") && !pair.isEmpty()) kept.add(pair);
    }
    return String.join("&", kept);
  }

  private void getAccount(RoutingContext ctx, String id) {
    List<String> select = select(ctx);
    if (select == null) {
      return;
    }
    JsonObject account = account(id);
    if (account == null) {
      notFound(ctx, id);
      return;
    }
    JsonObject body = new JsonObject()
        .put("@odata.context", metadata("accounts" + selectSuffix(select) + "/$entity"))
        .mergeIn(project(account, select));
    StandInHttp.sendJson(ctx, 200, JSON, body);
  }

  private void createAccount(RoutingContext ctx) {
    JsonObject attributes = payload(ctx);
    if (attributes == null) {
      return;
    }
    String id = attributes.getString("accountid", UUID.randomUUID().toString()).toLowerCase();
    if (!GUID.matcher(id).matches()) {
      payloadError(ctx, "The value of 'accountid' is not a GUID.");
      return;
    }
    JsonObject created;
    synchronized (accounts) {
      if (accounts.containsKey(id)) {
        error(ctx, 412, "0x80040237", "A record with matching key values already exists.");
        return;
      }
      created = store(id, attributes);
    }
    written(ctx, id, created, 201);
  }

  /** PATCH is an upsert in Dataverse, unless {@code If-Match: *} says the record must exist. */
  private void upsertAccount(RoutingContext ctx, String id) {
    JsonObject attributes = payload(ctx);
    if (attributes == null) {
      return;
    }
    boolean mustExist = "*".equals(ctx.request().getHeader("If-Match"));
    JsonObject written;
    synchronized (accounts) {
      JsonObject existing = accounts.get(id);
      if (existing == null && mustExist) {
        notFound(ctx, id);
        return;
      }
      if (existing == null) {
        written = store(id, attributes);
      } else {
        attributes.forEach(attribute -> existing.put(attribute.getKey(), attribute.getValue()));
        existing.put("accountid", id)
            .put("modifiedon", Instant.now().toString())
            .put("versionnumber", versionNumbers.incrementAndGet());
        written = existing.copy();
      }
    }
    written(ctx, id, written, 200);
  }

  private void deleteAccount(RoutingContext ctx, String id) {
    JsonObject removed;
    synchronized (accounts) {
      removed = accounts.remove(id);
    }
    if (removed == null) {
      notFound(ctx, id);
    } else {
      ctx.response().setStatusCode(204).end();
    }
  }

  /** 204 with the record's URL, or the record itself when the client asked for it. */
  private void written(RoutingContext ctx, String id, JsonObject account, int representationStatus) {
    ctx.response().putHeader("OData-EntityId", environmentUrl + API + "accounts(" + id + ")");
    String prefer = ctx.request().getHeader("Prefer");
    if (prefer != null && prefer.contains("return=representation")) {
      ctx.response().putHeader("Preference-Applied", "return=representation");
      JsonObject body = new JsonObject()
          .put("@odata.context", metadata("accounts/$entity"))
          .mergeIn(project(account, List.of()));
      StandInHttp.sendJson(ctx, representationStatus, JSON, body);
    } else {
      ctx.response().setStatusCode(204).end();
    }
  }

  /** The writable attributes of the JSON body, or null after answering 400. */
  private JsonObject payload(RoutingContext ctx) {
    JsonObject json = StandInHttp.jsonObjectBody(ctx);
    if (json == null) {
      payloadError(ctx, "The request body is not a valid JSON object.");
      return null;
    }
    JsonObject attributes = new JsonObject();
    for (Map.Entry<String, Object> entry : json) {
      String name = entry.getKey();
      if (WRITABLE.contains(name)) {
        attributes.put(name, entry.getValue());
      } else if (!name.contains("@") && !READ_ONLY.contains(name)) { // annotations and read-only: ignored
        payloadError(ctx, "The property '" + name
            + "' does not exist on type 'Microsoft.Dynamics.CRM.account'.");
        return null;
      }
    }
    return attributes;
  }

  private void payloadError(RoutingContext ctx, String detail) {
    error(ctx, 400, "0x80048d19",
        "Error identified in Payload provided by the user for Entity :'accounts'. " + detail);
  }

  /** The $select list (empty when absent), or null after answering 400 for an unknown column. */
  private List<String> select(RoutingContext ctx) {
    String param = ctx.queryParams().get("$select");
    if (param == null || param.isBlank()) {
      return List.of();
    }
    List<String> columns = new ArrayList<>();
    for (String column : param.split(",")) {
      String name = column.trim();
      if (!WRITABLE.contains(name) && !READ_ONLY.contains(name)) {
        error(ctx, 400, "0x80060888",
            "Could not find a property named '" + name + "' on type 'Microsoft.Dynamics.CRM.account'.");
        return null;
      }
      columns.add(name);
    }
    return columns;
  }

  private void onlyFor(RoutingContext ctx, Set<HttpMethod> allowed, Runnable handler) {
    HttpMethod method = ctx.request().method();
    if (allowed.contains(method)) {
      handler.run();
    } else {
      error(ctx, 405, "0x80060888", "The requested resource does not support http method '" + method + "'.");
    }
  }

  private void notFound(RoutingContext ctx, String id) {
    error(ctx, 404, "0x80040217", "account With Id = " + id + " Does Not Exist");
  }

  private static void error(RoutingContext ctx, int status, String code, String message) {
    JsonObject error = new JsonObject().put("code", code).put("message", message);
    StandInHttp.sendJson(ctx, status, JSON, new JsonObject().put("error", error));
  }

  private JsonObject account(String id) {
    synchronized (accounts) {
      JsonObject account = accounts.get(id);
      return account == null ? null : account.copy();
    }
  }

  /** Stores a new record; the caller holds the lock. */
  private JsonObject store(String id, JsonObject attributes) {
    String now = Instant.now().toString();
    JsonObject account = new JsonObject();
    WRITABLE.forEach(name -> account.putNull(name));
    account.mergeIn(attributes)
        .put("accountid", id)
        .put("statecode", 0)
        .put("createdon", now)
        .put("modifiedon", now)
        .put("versionnumber", versionNumbers.incrementAndGet());
    accounts.put(id, account);
    return account.copy();
  }

  private void seed(String name, String city) {
    synchronized (accounts) {
      store(UUID.randomUUID().toString(), new JsonObject().put("name", name).put("address1_city", city));
    }
  }

  /** Dataverse always returns the primary key and the ETag, whatever $select says. */
  private static JsonObject project(JsonObject account, List<String> select) {
    JsonObject projected = new JsonObject()
        .put("@odata.etag", "W/\"" + account.getLong("versionnumber") + "\"");
    if (select.isEmpty()) {
      return projected.mergeIn(account);
    }
    select.forEach(name -> projected.put(name, account.getValue(name)));
    return projected.put("accountid", account.getString("accountid"));
  }

  private String metadata(String fragment) {
    return environmentUrl + API + "$metadata#" + fragment;
  }

  private static String selectSuffix(List<String> select) {
    return select.isEmpty() ? "" : "(" + String.join(",", select) + ")";
  }

  private static String firstSegment(String path) {
    for (String segment : path.split("/")) {
      if (!segment.isEmpty()) {
        return segment;
      }
    }
    return "";
  }
}
