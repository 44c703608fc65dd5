package dev.spgateway.policy;

import static dev.spgateway.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.identity.ApiKeys;
import dev.spgateway.sandbox.Sandbox;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A hostile caller against a running gateway (the sandbox's config and routes, real Entra ID and Key
 * Vault stand-ins), with both upstreams replaced by one that records every request. Each case sends raw
 * bytes over a socket, so nothing on the client side tidies the target, and asserts the status and that
 * the upstream saw nothing; the control cases assert what exactly the upstream saw.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileTargetsTest {

  static final String GUID = "00000000-0000-0000-0000-000000000001";

  Vertx vertx;
  HttpServer upstream;
  final List<String> upstreamSaw = new CopyOnWriteArrayList<>();
  Sandbox sandbox;
  NetClient net;
  /** request id → status of every refusal: each must leave an audit record. */
  final Map<String, Integer> refused = new ConcurrentHashMap<>();

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    vertx = Vertx.vertx();
    upstream = await(vertx.createHttpServer().requestHandler(request -> {
      upstreamSaw.add(request.method() + " " + request.uri());
      request.response().putHeader("content-type", "application/json").end("{\"ok\":true}");
    }).listen(0, "127.0.0.1"));
    String url = "http://127.0.0.1:" + upstream.actualPort();
    String config = Files.readString(Path.of("config/sandbox.yaml"))
        .replace("${SANDBOX_GRAPH_URL}", url).replace("${SANDBOX_DATAVERSE_URL}", url);
    Path file = Files.writeString(dir.resolve("hostile.yaml"), config);
    sandbox = await(Sandbox.start(vertx, file, 0, 0, dir));
    net = vertx.createNetClient();
  }

  @AfterAll
  void stop() throws Exception {
    await(sandbox.close());
    List<JsonObject> records = Files.readAllLines(sandbox.auditFile()).stream().map(JsonObject::new).toList();
    assertThat(refused).hasSizeGreaterThanOrEqualTo(50);
    refused.forEach((requestId, status) -> assertThat(records)
        .filteredOn(r -> requestId.equals(r.getString("requestId")))
        .singleElement()
        .satisfies(r -> {
          assertThat(r.getInteger("status")).isEqualTo(status);
          assertThat(r.getString("outcome")).isEqualTo("denied");
        }));
    await(vertx.close());
  }

  @ParameterizedTest(name = "[{index}] {0} {1} -> {3}")
  @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
      GET    | /graph/v1.0/users/../groups                           |                          | 400 | dot segment
      GET    | /graph/v1.0/users/./abc                               |                          | 400 | dot segment
      GET    | /graph/v1.0/users/%2e%2e/groups                       |                          | 400 | encoded '.'
      GET    | /graph/v1.0/users/%2E%2E/groups                       |                          | 400 | encoded '.'
      GET    | /graph/v1.0/users/.%2e/groups                         |                          | 400 | encoded '.'
      GET    | /graph/v1.0/users/%252e%252e/groups                   |                          | 400 | double encoding
      GET    | /graph/v1.0/users/%25252e/groups                      |                          | 400 | double encoding
      GET    | /graph/v1.0/users/abc%2F..%2Fgroups                   |                          | 400 | encoded '/'
      GET    | /graph/v1.0/users/abc%2fgroups                        |                          | 400 | encoded '/'
      GET    | /graph/v1.0/users/abc%5C..%5Cgroups                   |                          | 400 | encoded '\\'
      GET    | /graph/v1.0/users/abc\\..\\groups                     |                          | 400 | backslash
      GET    | /graph/v1.0/users/%C0%AE%C0%AE/groups                 |                          | 400 | not valid UTF-8
      GET    | /graph/v1.0/users/%EF%BC%8E%EF%BC%8E/groups           |                          | 400 | look-alike
      GET    | /graph/v1.0/users/abc%00                              |                          | 400 | control character
      GET    | /graph/v1.0/users/abc%0d%0aHost:evil                  |                          | 400 | control character
      GET    | /graph/v1.0/users;x=1/abc                             |                          | 400 | path parameters
      GET    | /graph/v1.0/users/abc;jsessionid=1                    |                          | 400 | path parameters
      GET    | /graph/v1.0//users                                    |                          | 400 | empty segment
      GET    | /graph/v1.0/users/                                    |                          | 400 | empty segment
      GET    | /graph//v1.0/users                                    |                          | 400 | empty segment
      GET    | /graph/v1.0/users/abc.                                |                          | 400 | ends with '.'
      GET    | /graph/v1.0/users/%zz                                 |                          | 400 | malformed percent-encoding
      GET    | /graph/v1.0/users/abc%2                               |                          | 400 | malformed percent-encoding
      GET    | /graph/v1.0/users/abc#frag                            |                          | 400 | fragment
      GET    | /graph/v1.0/users/%27abc%27                           |                          | 400 | encoded delimiter
      GET    | /graph/v1.0/drives/b!x/root:/a%3Ab:/content           |                          | 400 | encoded delimiter
      GET    | http://127.0.0.1/graph/v1.0/users                     |                          | 400 | origin-form
      GET    | /graph/v1.0/users/LONG                                |                          | 400 | longer than 2048
      GET    | /graph/v1.0/users?$filter=LONG                        |                          | 400 | longer than 3072
      GET    | /graph/v1.0/users?$select=id&$select=mail             |                          | 400 | given twice
      GET    | /graph/v1.0/users?$SELECT=id                          |                          | 400 | as '$select'
      GET    | /graph/v1.0/users?select=id                           |                          | 400 | read as '$select'
      GET    | /graph/v1.0/users?%2524select=id                      |                          | 400 | percent-encoded
      GET    | /graph/v1.0/users?$format=json                        |                          | 400 | unknown query parameter
      GET    | /graph/v1.0/users?$select=id&&$top=1                  |                          | 400 | empty parameter
      GET    | /graph/v1.0/users?$top=1e3                            |                          | 400 | whole number
      GET    | /crm/api/data/v9.2/accounts?@p1=1                     |                          | 400 | unknown query parameter
      GET    | /graph/v1.0/users?$expand=manager                     |                          | 403 | does not allow the query option $expand
      GET    | /graph/v1.0/users?$top=101                            |                          | 403 | more than the 100
      GET    | /crm/api/data/v9.2/accounts?$expand=*                 |                          | 403 | $expand=*
      GET    | /crm/api/data/v9.2/accounts?$expand=owninguser        |                          | 403 | 'owninguser' is not allowed
      GET    | /crm/api/data/v9.2/accounts?$expand=primarycontactid($expand=createdby) | | 403 | 2 levels deep
      GET    | /crm/api/data/v9.2/accounts?$expand=primarycontactid($levels=max) |    | 403 | $levels
      GET    | /crm/api/data/v9.2/accounts?$apply=groupby((name))    |                          | 403 | $apply
      DELETE | /graph/v1.0/users/abc                                 |                          | 403 | no rule
      GET    | /graph/v1.0/users/abc/memberOf                        |                          | 403 | no rule
      GET    | /graph/v1.0/groups                                    |                          | 403 | no rule
      GET    | /graph/v1.0/users/$count                              |                          | 403 | no rule
      GET    | /graph/v1.0/users/delta()                             |                          | 403 | no rule
      POST   | /graph/v1.0/$batch                                    |                          | 415 | application/json
      GET    | /crm/api/data/v9.2/Accounts                           |                          | 403 | no rule
      GET    | /crm/api/data/v9.2/systemusers                        |                          | 403 | no rule
      DELETE | /crm/api/data/v9.2/accounts(GUID)                     |                          | 403 | no rule
      PATCH  | /crm/api/data/v9.2/accounts(GUID)                     | application/json:{}      | 403 | no rule
      GET    | /crm/api/data/v9.2/accounts(abc)                      |                          | 403 | no rule
      GET    | /crm/api/data/v9.2/accounts(GUID)/primarycontactid    |                          | 403 | no rule
      GET    | /crm/api/data/v9.1/accounts                           |                          | 403 | no rule
      GET    | /unknown/v1.0/users                                   |                          | 403 | no route
      OPTIONS| /graph/v1.0/users                                     |                          | 403 | no rule
      POST   | /graph/v1.0/users/abc/sendMail                        | text/plain:hello         | 415 | text/plain
      POST   | /crm/api/data/v9.2/accounts                           | application/xml:<a/>     | 415 | application/xml
      POST   | /graph/v1.0/users/abc/sendMail                        | application/json:BIG     | 413 | accepts at most
      POST   | /graph/v1.0/users/abc/sendMail                        | application/json:CHUNKED | 413 | Content-Length
      GET    | /graph/v1.0/users                                     | application/json:{}      | 413 | accepts no request body
      """)
  void isRefusedAndNothingReachesTheUpstream(String method, String target, String body, int status, String reason) {
    int before = upstreamSaw.size();
    Response response = send(method, target.replace("GUID", GUID).replace("LONG", "a".repeat(3100)), body);
    assertThat(response.status()).isEqualTo(status);
    JsonObject problem = new JsonObject(response.body());
    assertThat(problem.getString("type")).startsWith("urn:sp-gateway:problem:");
    assertThat(problem.getString("detail")).contains(reason);
    assertThat(problem.getString("requestId")).isNotBlank();
    assertThat(upstreamSaw).hasSize(before);
    refused.put(problem.getString("requestId"), status);
  }

  /**
   * POST is allowed on sendMail; a header asking the upstream to treat it as a DELETE, or to act as another
   * Dataverse user, must not get through.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource({"X-HTTP-Method: DELETE, method-override", "X-HTTP-Method-Override: DELETE, method-override",
      "X-Method-Override: DELETE, method-override", "MSCRMCallerID: 00000000-0000-0000-0000-000000000001, impersonation",
      "CallerObjectId: 00000000-0000-0000-0000-000000000001, impersonation"})
  void headersThatChangeWhatWasJudgedAreRefused(String header, String problemType) {
    int before = upstreamSaw.size();
    Response response = send("POST", "/graph/v1.0/users/abc/sendMail", "application/json:{}", header);
    assertThat(response.status()).isEqualTo(400);
    JsonObject problem = new JsonObject(response.body());
    assertThat(problem.getString("type")).isEqualTo("urn:sp-gateway:problem:" + problemType);
    assertThat(upstreamSaw).hasSize(before);
    refused.put(problem.getString("requestId"), 400);
    assertThat(send("POST", "/graph/v1.0/users/abc/sendMail", "application/json:{}").status())
        .as("the same request without it is allowed").isEqualTo(200);
  }

  /** Control cases: what is allowed reaches the upstream in its canonical form, exactly as judged. */
  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(delimiter = '|', textBlock = """
      GET  | /graph/V1.0/USERS/alice%40contoso.com                         | GET /v1.0/users/alice@contoso.com
      GET  | /graph/v1.0/%75sers?$top=5&$filter=a%2bb                      | GET /v1.0/users?$top=5&$filter=a%2Bb
      GET  | /crm/api/data/v9.2/accounts(accountnumber='A1')?$select=name | GET /api/data/v9.2/accounts(accountnumber='A1')?$select=name
      GET  | /crm/api/data/v9.2/accounts?$expand=primarycontactid($select=fullname) | GET /api/data/v9.2/accounts?$expand=primarycontactid($select=fullname)
      """)
  void allowedRequestsReachTheUpstreamExactlyAsJudged(String method, String target, String seen) {
    int before = upstreamSaw.size();
    assertThat(send(method, target, null).status()).isEqualTo(200);
    assertThat(upstreamSaw.subList(before, upstreamSaw.size())).containsExactly(seen);
  }

  record Response(int status, String body) {}

  /**
   * One request as raw bytes on a fresh connection; {@code body} is {@code content-type:payload},
   * {@code headers} whole header lines.
   */
  private Response send(String method, String target, String body, String... headers) {
    StringBuilder head = new StringBuilder(method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + ApiKeys.HEADER + ": " + sandbox.callerKey() + "\r\nConnection: close\r\n");
    for (String header : headers) head.append(header).append("\r\n");
    String payload = "";
    if (body != null) {
      int colon = body.indexOf(':');
      head.append("Content-Type: ").append(body, 0, colon).append("\r\n");
      payload = body.substring(colon + 1);
      if (payload.equals("CHUNKED")) {
        head.append("Transfer-Encoding: chunked\r\n");
        payload = "2\r\n{}\r\n0\r\n\r\n";
      } else if (payload.equals("BIG")) {
        head.append("Content-Length: 5000000\r\n"); // declared, never sent: refused before any byte is read
        payload = "";
      } else {
        head.append("Content-Length: ").append(payload.length()).append("\r\n");
      }
    }
    String request = head + "\r\n" + payload;
    Promise<Response> answer = Promise.promise();
    net.connect(sandbox.gateway().port(), "127.0.0.1").onSuccess(socket -> {
      Buffer received = Buffer.buffer();
      socket.handler(chunk -> {
        received.appendBuffer(chunk);
        Response complete = parse(received.toString(StandardCharsets.ISO_8859_1));
        if (complete != null) {
          answer.tryComplete(complete);
          socket.close();
        }
      });
      socket.closeHandler(closed -> answer.tryFail("closed before a complete response: " + received));
      socket.write(Buffer.buffer(request.getBytes(StandardCharsets.ISO_8859_1)));
    }).onFailure(answer::fail);
    return await(answer.future());
  }

  /** The response once its head and Content-Length body are complete, else null; {@code text} is one char a byte. */
  private static Response parse(String text) {
    int end = text.indexOf("\r\n\r\n");
    if (end < 0) return null;
    int length = 0;
    for (String line : text.substring(0, end).split("\r\n")) {
      if (line.toLowerCase().startsWith("content-length:")) length = Integer.parseInt(line.substring(15).trim());
    }
    if (text.length() < end + 4 + length) return null;
    String body = text.substring(end + 4, end + 4 + length);
    return new Response(Integer.parseInt(text.substring(9, 12)),
        new String(body.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8));
  }

}
