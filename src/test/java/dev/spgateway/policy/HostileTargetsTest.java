package dev.spgateway.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.testing.HostileGateway;
import dev.spgateway.testing.RawResponse;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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

  HostileGateway gateway;
  /** request id → status of every refusal: each must leave an audit record. */
  final Map<String, Integer> refused = new ConcurrentHashMap<>();

  @BeforeAll
  void start(@TempDir Path dir) {
    gateway = HostileGateway.start(dir);
  }

  /** What the upstream received, as "METHOD uri". */
  List<String> upstreamSaw() {
    return gateway.upstreamSaw().stream().map(seen -> seen.method() + " " + seen.uri()).toList();
  }

  @AfterAll
  void stop() {
    List<JsonObject> records = gateway.auditRecords();
    gateway.close();
    assertThat(refused).hasSizeGreaterThanOrEqualTo(50);
    refused.forEach((requestId, status) -> assertThat(records)
        .filteredOn(r -> requestId.equals(r.getString("requestId")))
        .singleElement()
        .satisfies(r -> {
          assertThat(r.getInteger("status")).isEqualTo(status);
          assertThat(r.getString("outcome")).isEqualTo("denied");
        }));
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
      GET    | /graph/v1.0/users?%24select=id                        |                          | 400 | percent-encoded
      GET    | /graph/v1.0/users?$format=json                        |                          | 400 | unknown query parameter
      GET    | /graph/v1.0/users?$select=id&&$top=1                  |                          | 400 | empty parameter
      GET    | /graph/v1.0/users?$top=1e3                            |                          | 400 | whole number
      GET    | /graph/v1.0/users?$select=id;$expand=memberOf         |                          | 400 | raw ';'
      GET    | /graph/v1.0/users?$filter=mail%20eq%20'a;b'           |                          | 400 | raw ';'
      GET    | /graph/v1.0/users?$filter=(a)x;$top=1                 |                          | 400 | raw ';'
      GET    | /graph/v1.0/users?;$top=1                             |                          | 400 | raw ';'
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
    int before = upstreamSaw().size();
    RawResponse response = send(method, target.replace("GUID", GUID).replace("LONG", "a".repeat(3100)), body);
    assertThat(response.status()).isEqualTo(status);
    JsonObject problem = response.problem();
    assertThat(problem.getString("type")).startsWith("urn:sp-gateway:problem:");
    assertThat(problem.getString("detail")).contains(reason);
    assertThat(problem.getString("requestId")).isNotBlank();
    assertThat(upstreamSaw()).hasSize(before);
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
    int before = upstreamSaw().size();
    RawResponse response = send("POST", "/graph/v1.0/users/abc/sendMail", "application/json:{}", header);
    assertThat(response.status()).isEqualTo(400);
    JsonObject problem = response.problem();
    assertThat(problem.getString("type")).isEqualTo("urn:sp-gateway:problem:" + problemType);
    assertThat(upstreamSaw()).hasSize(before);
    refused.put(problem.getString("requestId"), 400);
    assertThat(send("POST", "/graph/v1.0/users/abc/sendMail", "application/json:{}").status())
        .as("the same request without it is allowed").isEqualTo(200);
  }

  /** Raw bytes outside printable ASCII are refused, and written to the audit record percent-encoded (valid UTF-8). */
  @ParameterizedTest(name = "{1}")
  @CsvSource(delimiter = '|', textBlock = """
      /graph/v1.0/users/\u00e9              | /v1.0/users/%E9
      /graph/v1.0/users/\u00c3\u00a9x        | /v1.0/users/%C3%A9x
      /graph/v1.0/users/a\u00ff\u0080/b      | /v1.0/users/a%FF%80/b
      """)
  void rawBytesOfARefusedTargetAreRecordedPercentEncoded(String target, String recorded) {
    int before = upstreamSaw().size();
    RawResponse response = send("GET", target, null);
    var record = gateway.assertRefused(response, before, 400, "bad-target", "non-ASCII");
    assertThat(record.getString("path")).isEqualTo(recorded);
    refused.put(response.problem().getString("requestId"), 400);
  }

  /** Control cases: what is allowed reaches the upstream in its canonical form, exactly as judged. */
  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(delimiter = '|', textBlock = """
      GET  | /graph/V1.0/USERS/alice%40contoso.com                         | GET /v1.0/users/alice@contoso.com
      GET  | /graph/v1.0/%75sers?$top=5&$filter=a%2bb                      | GET /v1.0/users?$top=5&$filter=a%2Bb
      GET  | /graph/v1.0/users?$filter=startswith(mail,'a%3bb')            | GET /v1.0/users?$filter=startswith(mail,'a%3Bb')
      GET  | /crm/api/data/v9.2/accounts?$expand=primarycontactid($select=fullname;$top=1) | GET /api/data/v9.2/accounts?$expand=primarycontactid($select=fullname;$top=1)
      GET  | /crm/api/data/v9.2/accounts(accountnumber='A1')?$select=name | GET /api/data/v9.2/accounts(accountnumber='A1')?$select=name
      GET  | /crm/api/data/v9.2/accounts?$expand=primarycontactid($select=fullname) | GET /api/data/v9.2/accounts?$expand=primarycontactid($select=fullname)
      """)
  void allowedRequestsReachTheUpstreamExactlyAsJudged(String method, String target, String seen) {
    int before = upstreamSaw().size();
    assertThat(send(method, target, null).status()).isEqualTo(200);
    assertThat(upstreamSaw().subList(before, upstreamSaw().size())).containsExactly(seen);
  }

  /**
   * One request as raw bytes on a fresh connection; {@code body} is {@code content-type:payload},
   * {@code headers} whole header lines.
   */
  private RawResponse send(String method, String target, String body, String... headers) {
    StringBuilder head = new StringBuilder(gateway.head(method, target, headers));
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
    return gateway.send(head + "\r\n" + payload);
  }
}
