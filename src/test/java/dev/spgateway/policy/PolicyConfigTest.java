package dev.spgateway.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spgateway.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A broken policy stops the start with the config path of the problem and what to write instead. */
class PolicyConfigTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      $batch rule        | { upstream: graph, as: finance, allow: [ "POST /v1.0/$batch" ] }                      | routes[0].allow[0]                 | batches are judged per sub-request; allow the sub-requests' routes
      bad method         | { upstream: graph, as: finance, allow: [ "FETCH /v1.0/users" ] }                       | routes[0].allow[0]                 | 'FETCH' is not one of DELETE, GET, PATCH, POST, PUT
      HEAD               | { upstream: graph, as: finance, allow: [ "HEAD /v1.0/users" ] }                        | routes[0].allow[0]                 | a GET rule allows HEAD too
      no path            | { upstream: graph, as: finance, allow: [ "GET" ] }                                     | routes[0].allow[0]                 | is not "METHOD /path"
      dot segment        | { upstream: graph, as: finance, allow: [ "GET /v1.0/../users" ] }                      | routes[0].allow[0]                 | dot segment
      inner wildcard     | { upstream: graph, as: finance, allow: [ "GET /v1.0/**/users" ] }                      | routes[0].allow[0]                 | '**' may only end a path
      everything         | { upstream: graph, as: finance, allow: [ "GET /**" ] }                                 | routes[0].allow[0]                 | would allow everything
      unknown type       | { upstream: graph, as: finance, allow: [ "GET /v1.0/users/{id:uuid}" ] }               | routes[0].allow[0]                 | 'uuid' in '{id:uuid}' is not one of: name, guid, key
      two placeholders   | { upstream: graph, as: finance, allow: [ "GET /v1.0/users/{a}{b}" ] }                  | routes[0].allow[0]                 | more than one placeholder
      unclosed brace     | { upstream: graph, as: finance, allow: [ "GET /v1.0/users/{id" ] }                     | routes[0].allow[0]                 | neither a literal
      top zero           | { upstream: graph, as: finance, query: { $top: 0 }, allow: [ "GET /v1.0/users" ] }     | routes[0].query.$top               | give 1 or more
      expand depth       | { upstream: graph, as: finance, allow: [ { rule: "GET /v1.0/users", query: { $expand: { properties: [ manager ], depth: 9 } } } ] } | routes[0].allow[0].query.$expand.depth | must be 1 to 5
      expand property    | { upstream: graph, as: finance, allow: [ { rule: "GET /v1.0/users", query: { $expand: { properties: [ "manager/x" ] } } } ] } | routes[0].allow[0].query.$expand.properties[0] | is not a navigation property name
      unknown option     | { upstream: graph, as: finance, allow: [ { rule: "GET /v1.0/users", query: { $format: true } } ] } | routes[0].allow[0].query.$format | unknown key; expected one of
      bad content type   | { upstream: graph, as: finance, allow: [ { rule: "POST /v1.0/users", body: { contentTypes: [ json ] } } ] } | routes[0].allow[0].body.contentTypes[0] | is not a media type
      negative body      | { upstream: graph, as: finance, allow: [ { rule: "POST /v1.0/users", body: { maxBytes: -1 } } ] } | routes[0].allow[0].body.maxBytes | must be 0 or more
      nothing allowed    | { upstream: graph, as: finance }                                                       | routes[0].allow                    | is empty
      entity sets graph  | { upstream: graph, as: finance, entitySets: { users: [ read ] } }                       | routes[0].entitySets               | upstream 'graph' is not kind: dataverse
      bad operation      | { upstream: crm, as: finance, entitySets: { accounts: [ read, merge ] } }               | routes[0].entitySets.accounts[1]   | 'merge' is not one of: read, create, update, delete
      bad entity set     | { upstream: crm, as: finance, entitySets: { "acc/ounts": [ read ] } }                   | routes[0].entitySets.acc/ounts     | is not an entity set name
      empty operations   | { upstream: crm, as: finance, entitySets: { accounts: [] } }                            | routes[0].entitySets.accounts      | is empty; list operations
      bad api path       | { upstream: crm, as: finance, apiPath: "api/data", entitySets: { accounts: [ read ] } } | routes[0].apiPath                  | is not a plain path such as /api/data/v9.2
      """)
  void brokenRulesNameTheirPathAndTheFix(String kind, String route, String path, String message) {
    assertThatThrownBy(() -> PolicyFixtures.config("- " + route))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).anySatisfy(problem -> {
          assertThat(problem.path()).isEqualTo("callers.flow." + path);
          assertThat(problem.message()).contains(message);
        }));
  }

  @Test
  void theStringShorthandAndTheMappingFormBindToTheSameRule() {
    var config = PolicyFixtures.config("""
        - upstream: graph
          as: finance
          allow: [ "GET /v1.0/users", { rule: "GET /v1.0/groups" } ]
        """);
    assertThat(config.callers().get("flow").routes().get(0).allow())
        .containsExactly(AllowRule.of("GET /v1.0/users"), AllowRule.of("GET /v1.0/groups"));
  }
}
