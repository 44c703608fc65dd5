package dev.spgateway.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.identity.ApiKeys;
import dev.spgateway.testing.HostileGateway;
import dev.spgateway.testing.RawResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Headers that change what is judged, sent as raw bytes to a running gateway: each refusal is asserted with its
 * status, problem type and reason, its audit record, and that the upstream saw nothing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileHeadersTest {

  static final String SEND_MAIL = "/graph/v1.0/users/abc/sendMail";

  HostileGateway gateway;
  /** A second caller, allowed only GET /v1.0/users. */
  final String otherKey = ApiKeys.generate();

  @BeforeAll
  void start(@TempDir Path dir) {
    gateway = HostileGateway.start(dir, config -> config.replace("allow: [ \"GET /api/data/v9.2/WhoAmI\" ]",
        "allow: [ \"GET /api/data/v9.2/WhoAmI\", { rule: \"POST /api/data/v9.2/contacts\","
            + " headers: [ MSCRM.BypassCustomPluginExecution ] } ]").replace("\n# `sp-gateway audit query", """

          other-flow:
            apiKey: { sha256: "%s" }
            routes:
              - upstream: graph
                as: finance
                allow: [ "GET /v1.0/users" ]

        # `sp-gateway audit query""".formatted(ApiKeys.sha256Hex(otherKey)).replace("\n  ", "\n  ")), response -> {});
  }

  @AfterAll
  void stop() {
    gateway.close();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      valid then invalid      | KEY   | not-a-key
      invalid then valid      | not-a-key | KEY
      two callers' keys       | KEY   | OTHER
      the same key twice      | KEY   | KEY
      """)
  void twoApiKeysAreRefused(String name, String first, String second) {
    int before = gateway.upstreamSaw().size();
    RawResponse response = gateway.send("GET /graph/v1.0/users HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + ApiKeys.HEADER + ": " + key(first) + "\r\n" + ApiKeys.HEADER + ": " + key(second) + "\r\n\r\n");
    var record = gateway.assertRefused(response, before, 400, "duplicate-header", "x-api-key header is sent more than once");
    assertThat(record.getString("caller")).as("no caller is named").isNull();
  }

  @Test
  void twoContentTypesAreRefused() {
    int before = gateway.upstreamSaw().size();
    RawResponse response = gateway.call("POST", SEND_MAIL, "{}", "Content-Type: application/json",
        "Content-Type: text/plain");
    gateway.assertRefused(response, before, 400, "duplicate-header", "content-type header is sent more than once");
    assertThat(gateway.call("POST", SEND_MAIL, "{}", "Content-Type: application/json").status())
        .as("the same request with one Content-Type").isEqualTo(200);
  }

  @Test
  void eachKeyAloneActsAsItsOwnCaller() {
    assertThat(gateway.send("GET /graph/v1.0/users/abc HTTP/1.1\r\nHost: x\r\n" + ApiKeys.HEADER + ": " + otherKey
        + "\r\n\r\n").status()).as("other-flow may not read one user").isEqualTo(403);
    assertThat(gateway.call("GET", "/graph/v1.0/users/abc", null).status()).isEqualTo(200);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      MSCRM.BypassCustomPluginExecution: true                                   | POST | /crm/api/data/v9.2/accounts | bypass-business-logic
      MSCRM.BypassBusinessLogicExecution: CustomSync,CustomAsync                | POST | /crm/api/data/v9.2/accounts | bypass-business-logic
      MSCRM.BypassBusinessLogicExecutionStepIds: 00000000-0000-0000-0000-000000000001 | POST | /crm/api/data/v9.2/accounts | bypass-business-logic
      MSCRM.SuppressCallbackRegistrationExpanderJob: true                       | POST | /crm/api/data/v9.2/accounts | bypass-business-logic
      mscrm.bypasscustompluginexecution: true                                   | POST | /crm/api/data/v9.2/accounts | bypass-business-logic
      MSCRM.BypassBusinessLogicExecution: CustomSync                            | POST | /crm/api/data/v9.2/contacts | bypass-business-logic
      X-Original-URL: /v1.0/groups                                              | GET  | /graph/v1.0/users           | url-rewrite
      X-Rewrite-URL: /v1.0/groups                                               | GET  | /graph/v1.0/users           | url-rewrite
      """)
  void headersThatChangeWhatTheUpstreamDoesAreRefusedUnlessTheRuleAllowsThem(String header, String method,
      String target, String problemType) {
    int before = gateway.upstreamSaw().size();
    String body = method.equals("POST") ? "{}" : null;
    String contentType = method.equals("POST") ? "Content-Type: application/json" : "X-Nothing: 1";
    RawResponse response = gateway.call(method, target, body, contentType, header);
    String name = header.substring(0, header.indexOf(':')).toLowerCase(java.util.Locale.ROOT);
    gateway.assertRefused(response, before, 400, problemType, "the " + name + " header");
    assertThat(gateway.call(method, target, body, contentType).status()).as("the same request without it").isEqualTo(200);
  }

  @Test
  void aRuleThatListsTheHeaderLetsItThrough() {
    int before = gateway.upstreamSaw().size();
    RawResponse response = gateway.call("POST", "/crm/api/data/v9.2/contacts", "{}", "Content-Type: application/json",
        "MSCRM.BypassCustomPluginExecution: true");
    assertThat(response.status()).isEqualTo(200);
    assertThat(gateway.upstreamSaw()).hasSize(before + 1);
    assertThat(gateway.upstreamSaw().get(before).headers().get("MSCRM.BypassCustomPluginExecution")).isEqualTo("true");
  }

  @Test
  void aRuleMayListOnlyHeadersTheGatewayRefuses() {
    java.util.List<String> problems = new java.util.ArrayList<>();
    PolicyEngine.check(new RouteConfig("graph", "finance", java.util.List.of(new AllowRule("GET /v1.0/users", null, null,
        java.util.List.of("X-Custom"))), null, null, null, null), dev.spgateway.proxy.UpstreamConfig.UpstreamKind.graph,
        (path, problem) -> problems.add(path + ": " + problem));
    assertThat(problems).singleElement().asString().startsWith("allow[0].headers[0]: 'X-Custom' is not a header the"
        + " gateway refuses");
  }

  static final String DATAVERSE_BATCH = "--good\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary"
      + "\r\n\r\nGET /api/data/v9.2/accounts HTTP/1.1\r\n\r\n\r\n--good--\r\n";
  static final String GRAPH_BATCH = "{\"requests\":[{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/users\"}]}";

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
      multipart/mixed; xboundary=evil; boundary=good  | /crm/api/data/v9.2/$batch | parameter 'xboundary'
      multipart/mixed; boundary=good; charset=utf-8   | /crm/api/data/v9.2/$batch | parameter 'charset'
      multipart/mixed; boundary=good; boundary=evil   | /crm/api/data/v9.2/$batch | parameter 'boundary' twice
      multipart/mixed; boundary=good; BOUNDARY=evil   | /crm/api/data/v9.2/$batch | parameter 'boundary' twice
      multipart/mixed; boundary=good;                 | /crm/api/data/v9.2/$batch | empty parameter
      multipart/mixed; boundary="good"evil            | /crm/api/data/v9.2/$batch | something other than ';'
      multipart/mixed; boundary=good, text/plain      | /crm/api/data/v9.2/$batch | something other than ';'
      multipart/mixed; boundary                       | /crm/api/data/v9.2/$batch | without '=value'
      application/json; odata.metadata=minimal        | /graph/v1.0/$batch        | parameter 'odata.metadata'
      application/json; charset=utf-8; charset=latin1 | /graph/v1.0/$batch        | parameter 'charset' twice
      """)
  void aBatchContentTypeIsReadOneWayOnly(String contentType, String target, String reason) {
    int before = gateway.upstreamSaw().size();
    String body = target.startsWith("/crm") ? DATAVERSE_BATCH : GRAPH_BATCH;
    RawResponse response = gateway.call("POST", target, body, "Content-Type: " + contentType);
    gateway.assertRefused(response, before, 400, "bad-batch", reason);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
      multipart/mixed; boundary="good"        | /crm/api/data/v9.2/$batch | multipart/mixed;boundary=good
      MULTIPART/Mixed;boundary=good           | /crm/api/data/v9.2/$batch | multipart/mixed;boundary=good
      application/json; charset="UTF-8"       | /graph/v1.0/$batch        | application/json;charset=UTF-8
      """)
  void anAllowedBatchIsForwardedWithTheContentTypeAsJudged(String contentType, String target, String forwarded) {
    int before = gateway.upstreamSaw().size();
    String body = target.startsWith("/crm") ? DATAVERSE_BATCH : GRAPH_BATCH;
    RawResponse response = gateway.call("POST", target, body, "Content-Type: " + contentType);
    assertThat(response.status()).as(response.body()).isEqualTo(200);
    assertThat(gateway.upstreamSaw()).hasSize(before + 1);
    assertThat(gateway.upstreamSaw().get(before).headers().getAll("content-type")).containsExactly(forwarded);
    assertThat(gateway.upstreamSaw().get(before).body()).isEqualTo(body);
  }

  private String key(String which) {
    return switch (which) {
      case "KEY" -> gateway.callerKey();
      case "OTHER" -> otherKey;
      default -> which;
    };
  }
}
