package dev.spgateway.connector;

import static dev.spgateway.testing.Await.await;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spgateway.config.ConfigLoader;
import dev.spgateway.config.GatewayConfig;
import dev.spgateway.identity.ApiKeys;
import dev.spgateway.policy.PolicyEngine;
import dev.spgateway.sandbox.Sandbox;
import io.swagger.parser.OpenAPIParser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The connector's definition read by a real Swagger 2.0 parser, checked against the rules Power Platform's
 * connector validation enforces, deterministic, free of secrets, and every operation it describes allowed by the
 * gateway it was generated from.
 */
class CustomConnectorTest {

  static final ObjectMapper JSON = new ObjectMapper();
  static final String KEY_HASH = ApiKeys.sha256Hex("a fixed key of CustomConnectorTest, so its output is the same every run");
  static final String CONFIG = """
      listener: { publicBaseUrl: https://gateway.contoso.com }
      keyVault: { url: https://contoso-flows.vault.azure.net }
      servicePrincipals:
        finance: { tenant: 72f988bf-0000-0000-0000-2d7cd011db47, clientId: 1b4c0000-0000-0000-0000-00000000a11c,
                   secret: { keyVault: finance-client-secret } }
      upstreams:
        graph: { url: https://graph.microsoft.com, kind: graph }
        crm-prod: { url: https://contoso.crm.dynamics.com, kind: dataverse }
      callers:
        invoice-flow:
          apiKey: { sha256: %s }
          routes:
            - upstream: graph
              as: finance
              query: { $select: true, $filter: true, $top: 100, $count: true }
              allow:
                - "GET /v1.0/users"
                - "GET /v1.0/users/{id}"
                - "GET /v1.0/groups/{group:guid}/members"
                - rule: "POST /v1.0/users/{id}/sendMail"
                  body: { maxBytes: 4194304, contentTypes: [ application/json ] }
                - "GET /v1.0/drives/{drive}/root:/Invoices/**"
            - upstream: crm-prod
              as: finance
              query: { $select: true, $orderby: true, $top: 5000, $expand: { properties: [ primarycontactid ] } }
              entitySets: { accounts: [ read, create, update, delete ], activities: [ read ] }
              allow: [ "GET /api/data/v9.2/WhoAmI" ]
      """.formatted(KEY_HASH);

  static CustomConnector.Files generate() {
    GatewayConfig config = new ConfigLoader(Map.<String, String>of()::get).parse("gateway.yaml", CONFIG);
    PolicyEngine policy = new PolicyEngine(config.routes(), config.upstreams());
    return CustomConnector.generate("invoice-flow", policy.allowedRules("invoice-flow"), "gateway.contoso.com");
  }

  @Test
  void aRealSwagger2ParserReadsItWithoutAMessage() {
    ParseOptions options = new ParseOptions();
    options.setResolve(true);
    SwaggerParseResult result = new OpenAPIParser().readContents(generate().apiDefinition(), null, options);
    assertThat(result.getMessages()).isEmpty();
    assertThat(result.getOpenAPI()).isNotNull();
    assertThat(result.getOpenAPI().getServers()).extracting(server -> server.getUrl()).containsExactly("https://gateway.contoso.com/");
    assertThat(result.getOpenAPI().getPaths()).containsKeys("/graph/v1.0/users", "/graph/v1.0/users/{id}",
        "/crm-prod/api/data/v9.2/accounts", "/crm-prod/api/data/v9.2/accounts({id})");
    // The v1 parser, which validates Swagger 2.0 itself.
    var swagger = new io.swagger.parser.SwaggerParser().readWithInfo(generate().apiDefinition());
    assertThat(swagger.getMessages()).isEmpty();
    assertThat(swagger.getSwagger().getSwagger()).isEqualTo("2.0");
  }

  @Test
  void followsPowerPlatformsConnectorRules() throws Exception {
    CustomConnector.Files files = generate();
    JsonNode api = JSON.readTree(files.apiDefinition());
    assertThat(api.get("swagger").asText()).isEqualTo("2.0");
    assertThat(api.get("host").asText()).doesNotContain("://", "/").isEqualTo("gateway.contoso.com");
    assertThat(api.get("schemes")).extracting(JsonNode::asText).containsExactly("https");
    assertThat(api.get("info").get("title").asText()).hasSizeLessThanOrEqualTo(30);
    assertThat(api.at("/securityDefinitions/api_key/type").asText()).isEqualTo("apiKey");
    assertThat(api.at("/securityDefinitions/api_key/in").asText()).isEqualTo("header");
    assertThat(api.at("/securityDefinitions/api_key/name").asText()).isEqualTo(ApiKeys.HEADER);

    Set<String> operationIds = new HashSet<>();
    List<String> ids = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> paths = api.get("paths").fields(); paths.hasNext(); ) {
      Map.Entry<String, JsonNode> path = paths.next();
      for (Iterator<Map.Entry<String, JsonNode>> operations = path.getValue().fields(); operations.hasNext(); ) {
        JsonNode operation = operations.next().getValue();
        String id = operation.get("operationId").asText();
        ids.add(id);
        assertThat(operationIds.add(id)).as("operationId %s is unique", id).isTrue();
        assertThat(id).matches("[A-Za-z][A-Za-z0-9]*");
        String summary = operation.get("summary").asText();
        assertThat(summary).hasSizeLessThanOrEqualTo(80).matches("[A-Z][a-z0-9 ()-]*").doesNotEndWith(".");
        assertThat(operation.get("description").asText()).endsWith(".").isNotEqualTo(summary);
        Set<String> names = new HashSet<>();
        for (JsonNode parameter : operation.get("parameters")) {
          assertThat(names.add(parameter.get("name").asText())).as("%s: parameter names unique", id).isTrue();
          assertThat(parameter.get("x-ms-summary").asText()).as("%s: x-ms-summary", id).isNotBlank();
          if (parameter.has("x-ms-visibility")) {
            assertThat(parameter.get("x-ms-visibility").asText()).isIn("important", "advanced", "internal");
          }
          if (parameter.get("in").asText().equals("path")) {
            assertThat(path.getKey()).contains("{" + parameter.get("name").asText() + "}");
            assertThat(parameter.get("required").asBoolean()).isTrue();
            assertThat(parameter.get("x-ms-url-encoding").asText()).isEqualTo("single");
          }
        }
        for (Iterator<String> keys = operation.fieldNames(); keys.hasNext(); ) {
          String key = keys.next();
          if (key.startsWith("x-ms-")) assertThat(key).isEqualTo("x-ms-pageable");
        }
        if (operation.has("x-ms-pageable")) {
          assertThat(operation.get("x-ms-pageable").get("nextLinkName").asText()).isEqualTo("@odata.nextLink");
        }
      }
    }
    assertThat(ids).contains("GraphGetUsers", "GraphGetUsersById", "GraphGetGroupsMembersByGroup", "GraphPostUsersSendMailById",
        "CrmProdListAccounts", "CrmProdGetAccount", "CrmProdCreateAccount", "CrmProdUpdateAccount", "CrmProdDeleteAccount",
        "CrmProdListActivities", "CrmProdGetActivity", "CrmProdGetWhoAmI");
    assertThat(files.skipped()).singleElement().asString().contains("routes[0].allow[4]", "**");
    JsonNode top = api.at("/paths/~1graph~1v1.0~1users/get/parameters");
    assertThat(top).filteredOn(p -> p.get("name").asText().equals("$top")).singleElement()
        .satisfies(p -> assertThat(p.get("maximum").asInt()).isEqualTo(100));
    assertThat(api.at("/paths/~1graph~1v1.0~1groups~1{group}~1members/get/parameters/0/format").asText()).isEqualTo("guid");
    assertThat(api.at("/paths/~1graph~1v1.0~1users~1{id}~1sendMail/post/consumes/0").asText()).isEqualTo("application/json");

    JsonNode properties = JSON.readTree(files.apiProperties());
    assertThat(properties.at("/properties/connectionParameters/api_key/type").asText()).isEqualTo("securestring");
  }

  @Test
  void theSameConfigGivesTheSameBytesAndNoSecret() {
    CustomConnector.Files first = generate();
    CustomConnector.Files second = generate();
    assertThat(second.apiDefinition()).isEqualTo(first.apiDefinition());
    assertThat(second.apiProperties()).isEqualTo(first.apiProperties());
    assertThat(first.apiDefinition() + first.apiProperties()).doesNotContain(KEY_HASH, "finance-client-secret",
        "1b4c0000-0000-0000-0000-00000000a11c", "72f988bf").doesNotContain("\r");
  }

  /** Every operation of the sandbox caller's connector, called through the sandbox's gateway, is allowed. */
  @Test
  void everyOperationOfTheSandboxConnectorIsAllowedByItsGateway(@TempDir Path dir) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Sandbox sandbox = Sandbox.start(vertx, Path.of("config/sandbox.yaml"), 0, 0, dir).await(60, SECONDS);
      PolicyEngine policy = new PolicyEngine(sandbox.config().routes(), sandbox.config().upstreams());
      int port = sandbox.gateway().port();
      JsonNode api = JSON.readTree(CustomConnector.generate("invoice-flow", policy.allowedRules("invoice-flow"),
          "127.0.0.1:" + port).apiDefinition());
      String account = sandbox.dataverse().accounts().get(0).getString("accountid");
      WebClient client = WebClient.create(vertx);
      int called = 0;
      for (Iterator<Map.Entry<String, JsonNode>> paths = api.get("paths").fields(); paths.hasNext(); ) {
        Map.Entry<String, JsonNode> path = paths.next();
        for (Iterator<Map.Entry<String, JsonNode>> operations = path.getValue().fields(); operations.hasNext(); ) {
          Map.Entry<String, JsonNode> entry = operations.next();
          JsonNode operation = entry.getValue();
          String uri = path.getKey();
          List<String> query = new ArrayList<>();
          String body = null;
          for (JsonNode parameter : operation.get("parameters")) {
            String name = parameter.get("name").asText();
            switch (parameter.get("in").asText()) {
              case "path" -> uri = uri.replace("{" + name + "}", path.getKey().startsWith("/crm") ? account
                  : "guid".equals(parameter.path("format").asText()) ? "0a1b2c3d-0000-4000-8000-00000000abcd"
                  : sandbox.exampleUserId());
              case "query" -> query.add(name + "=" + sample(name, parameter, path.getKey().startsWith("/crm")));
              default -> body = name.equals("body") && uri.contains("sendMail") ? "{\"message\":{}}" : "{\"name\":\"Round trip\"}";
            }
          }
          String target = uri + (query.isEmpty() ? "" : "?" + String.join("&", query));
          HttpRequest<Buffer> request = client.request(HttpMethod.valueOf(entry.getKey().toUpperCase()), port, "127.0.0.1", target)
              .putHeader(api.at("/securityDefinitions/api_key/name").asText(), sandbox.callerKey());
          HttpResponse<Buffer> response = body == null ? await(request.send())
              : await(request.putHeader("content-type", operation.get("consumes").get(0).asText()).sendBuffer(Buffer.buffer(body)));
          assertThat(response.getHeader("content-type")).as("%s %s: %s", entry.getKey(), target, response.bodyAsString())
              .isNotEqualTo("application/problem+json");
          called++;
        }
      }
      assertThat(called).isGreaterThanOrEqualTo(6);
      await(sandbox.close());
    } finally {
      await(vertx.close());
    }
  }

  private static String sample(String option, JsonNode parameter, boolean dataverse) {
    return switch (option) {
      case "$select" -> dataverse ? "name" : "id";
      case "$filter" -> "name%20ne%20null";
      case "$orderby" -> "name";
      case "$top" -> parameter.get("maximum").asText();
      case "$skip" -> "1";
      case "$count" -> "true";
      case "$expand" -> "primarycontactid";
      default -> "x";
    };
  }

}
