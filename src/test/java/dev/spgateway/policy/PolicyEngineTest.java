package dev.spgateway.policy;

import static dev.spgateway.policy.PolicyFixtures.CALLER;
import static dev.spgateway.policy.PolicyFixtures.get;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.policy.Decision.Allow;
import dev.spgateway.policy.Decision.Deny;
import dev.spgateway.policy.Decision.Refusal;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PolicyEngineTest {

  static final String GUID = "00000000-0000-0000-0000-000000000001";

  static final PolicyEngine ENGINE = PolicyFixtures.engine("""
      - upstream: graph
        as: finance
        query: { $select: true, $top: 50 }
        allow:
          - "GET /v1.0/users"
          - rule: "GET,PATCH /v1.0/users/{id}"
            query: { $select: true, $expand: { properties: [ manager, directReports ], depth: 2 } }
          - rule: "POST /v1.0/users/{id}/sendMail"
            body: { maxBytes: 1000, contentTypes: [ application/json ] }
          - "GET /v1.0/groups/{id:guid}"
          - "GET /v1.0/sites/{site}/drive/root:/Invoices/**"
      - upstream: crm
        as: crm-sync
        query: { $select: true, $filter: true, $count: true }
        entitySets: { accounts: [ read, create, delete ], contacts: [ read ] }
        allow: [ "GET /api/data/v9.2/WhoAmI" ]
      """);

  @Test
  void allowsWhatARuleSaysNamingTheRuleTheCanonicalTargetAndTheOptions() {
    assertThat(get(ENGINE, "graph", "/v1.0/users/42?$select=id,displayName")).isEqualTo(new Allow("routes[0].allow[1]",
        "graph", "finance", "/v1.0/users/42?$select=id,displayName", List.of("$select"), List.of()));
    assertThat(get(ENGINE, "crm", "/api/data/v9.2/accounts(" + GUID + ")?$select=name")).isEqualTo(new Allow(
        "routes[1].entitySets.accounts.read", "crm", "crm-sync", "/api/data/v9.2/accounts(" + GUID + ")?$select=name",
        List.of("$select"), List.of()));
  }

  /** Graph reads paths case-insensitively: matched so, and forwarded in the rule's spelling, so judged == sent. */
  @Test
  void graphLiteralsMatchWhateverTheirCaseAndAreForwardedInTheRulesSpelling() {
    assertThat(((Allow) get(ENGINE, "graph", "/V1.0/USERS/Alice@Contoso.com")).target()).isEqualTo("/v1.0/users/Alice@Contoso.com");
    assertThat(((Allow) get(ENGINE, "graph", "/v1.0/%75sers")).target()).isEqualTo("/v1.0/users");
  }

  @Test
  void dataverseLiteralsMatchExactly() {
    assertThat(get(ENGINE, "crm", "/api/data/v9.2/Accounts")).isInstanceOf(Deny.class);
    assertThat(get(ENGINE, "crm", "/api/data/v9.2/accounts")).isInstanceOf(Allow.class);
  }

  @ParameterizedTest(name = "{0} {1} {2} -> {3}")
  @CsvSource(delimiter = '|', textBlock = """
      GET    | graph | /v1.0/groups/""" + GUID + """
       | routes[0].allow[3]
      GET    | graph | /v1.0/groups/not-a-guid                                        | DENIED
      PATCH  | graph | /v1.0/users/42                                                 | routes[0].allow[1]
      DELETE | graph | /v1.0/users/42                                                 | DENIED
      HEAD   | graph | /v1.0/users/42                                                 | routes[0].allow[1]
      OPTIONS| graph | /v1.0/users/42                                                 | DENIED
      GET    | graph | /v1.0/users/$count                                             | DENIED
      GET    | graph | /v1.0/users/delta()                                            | DENIED
      GET    | graph | /v1.0/users/42/manager                                         | DENIED
      GET    | graph | /v1.0/sites/s1/drive/root:/Invoices/2026/a.pdf:/content        | routes[0].allow[4]
      GET    | graph | /v1.0/sites/s1/drive/root:/Invoices                            | DENIED
      GET    | graph | /v1.0/sites/s1/drive/root:/HR/a.pdf:/content                   | DENIED
      GET    | graph | /v1.0/$batch                                                   | DENIED
      GET    | graph | /v1.0/users/$BATCH                                             | DENIED
      GET    | crm   | /api/data/v9.2/accounts(accountnumber='A1')                    | routes[1].entitySets.accounts.read
      GET    | crm   | /api/data/v9.2/contacts(firstname='A',lastname='O''Neil')      | routes[1].entitySets.contacts.read
      GET    | crm   | /api/data/v9.2/accounts(42)                                    | DENIED
      GET    | crm   | /api/data/v9.2/accounts(x)                                     | DENIED
      GET    | crm   | /api/data/v9.2/accounts(name='a'                               | DENIED
      GET    | crm   | /api/data/v9.2/accounts(""" + GUID + """
      )/primarycontactid | DENIED
      DELETE | crm   | /api/data/v9.2/accounts(""" + GUID + """
      ) | routes[1].entitySets.accounts.delete
      DELETE | crm   | /api/data/v9.2/accounts                                        | DENIED
      DELETE | crm   | /api/data/v9.2/contacts(""" + GUID + """
      ) | DENIED
      PATCH  | crm   | /api/data/v9.2/accounts(""" + GUID + """
      ) | DENIED
      GET    | crm   | /api/data/v9.1/accounts                                        | DENIED
      GET    | crm   | /api/data/v9.2/WhoAmI                                          | routes[1].allow[0]
      GET    | nope  | /api/data/v9.2/WhoAmI                                          | DENIED
      """)
  void judgesMethodsAndPathShapes(String method, String upstream, String target, String expected) {
    Decision decision = ENGINE.decide(CALLER, new PolicyRequest(method, upstream, target, null, 0));
    if (expected.equals("DENIED")) {
      assertThat(decision).isInstanceOfSatisfying(Deny.class, deny -> assertThat(deny.refusal()).isEqualTo(Refusal.DENIED));
    } else {
      assertThat(decision).isInstanceOfSatisfying(Allow.class, allow -> assertThat(allow.ruleId()).isEqualTo(expected));
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      /v1.0/users?$top=50                                             | ALLOW  |
      /v1.0/users?$top=51                                             | DENIED | more than the 50
      /v1.0/users?$top=-1                                             | BAD_TARGET | whole number
      /v1.0/users?$filter=x                                           | DENIED | does not allow the query option $filter
      /v1.0/users/1?$top=1                                            | DENIED | does not allow the query option $top
      /v1.0/users/1?$expand=manager                                   | ALLOW  |
      /v1.0/users/1?$expand=manager($select=id;$expand=directReports) | ALLOW  |
      /v1.0/users/1?$expand=MANAGER                                   | ALLOW  |
      /v1.0/users/1?$expand=memberOf                                  | DENIED | 'memberOf' is not allowed
      /v1.0/users/1?$expand=manager,memberOf                          | DENIED | 'memberOf' is not allowed
      /v1.0/users/1?$expand=*                                         | DENIED | $expand=*
      /v1.0/users/1?$expand=manager($levels=max)                      | DENIED | $levels
      /v1.0/users/1?$expand=manager($expand=manager($expand=manager)) | DENIED | 3 levels deep
      /v1.0/users/1?$expand=manager($filter=a)                        | DENIED | does not allow the query option $filter
      /v1.0/users/1?$expand=manager(                                  | BAD_TARGET | cannot be read
      /v1.0/users/1?$expand=manager/$ref                              | ALLOW  |
      /v1.0/users/1?$expand=manager/memberOf                          | DENIED | 'memberOf' is not allowed
      /v1.0/users/1?$expand=manager%2CmemberOf                        | DENIED | 'memberOf' is not allowed
      /v1.0/users/1?$expand=manager($foo=1)                           | BAD_TARGET | unknown option '$foo'
      """)
  void judgesQueryOptions(String target, String outcome, String reason) {
    Decision decision = get(ENGINE, "graph", target);
    if (outcome.equals("ALLOW")) {
      assertThat(decision).isInstanceOf(Allow.class);
    } else {
      assertThat(decision).isInstanceOfSatisfying(Deny.class, deny -> {
        assertThat(deny.refusal()).isEqualTo(Refusal.valueOf(outcome));
        assertThat(deny.reason()).contains(reason);
      });
    }
  }

  @Test
  void dataverseCountMustBeABoolean() {
    assertThat(get(ENGINE, "crm", "/api/data/v9.2/accounts?$count=true")).isInstanceOf(Allow.class);
    assertThat(((Deny) get(ENGINE, "crm", "/api/data/v9.2/accounts?$count=yes")).refusal()).isEqualTo(Refusal.BAD_TARGET);
  }

  @ParameterizedTest(name = "{0} {1} {2} bytes -> {3}")
  @CsvSource(delimiter = '|', textBlock = """
      POST  | /v1.0/users/1/sendMail | application/json                | 1000 | ALLOW
      POST  | /v1.0/users/1/sendMail | Application/JSON; charset=utf-8 | 10   | ALLOW
      POST  | /v1.0/users/1/sendMail | application/json                | 1001 | BODY_TOO_LARGE
      POST  | /v1.0/users/1/sendMail | application/json                | -1   | BODY_TOO_LARGE
      POST  | /v1.0/users/1/sendMail | text/plain                      | 10   | UNSUPPORTED_MEDIA_TYPE
      POST  | /v1.0/users/1/sendMail |                                 | 10   | UNSUPPORTED_MEDIA_TYPE
      POST  | /v1.0/users/1/sendMail |                                 | 0    | ALLOW
      GET   | /v1.0/users/1          | application/json                | 5    | BODY_TOO_LARGE
      PATCH | /v1.0/users/1          | application/json                | 1048576 | ALLOW
      PATCH | /v1.0/users/1          | application/json                | 1048577 | BODY_TOO_LARGE
      """)
  void judgesBodies(String method, String target, String contentType, long length, String expected) {
    Decision decision = ENGINE.decide(CALLER, new PolicyRequest(method, "graph", target, contentType, length));
    if (expected.equals("ALLOW")) {
      assertThat(decision).isInstanceOf(Allow.class);
    } else {
      assertThat(decision).isInstanceOfSatisfying(Deny.class, d -> assertThat(d.refusal()).isEqualTo(Refusal.valueOf(expected)));
    }
  }

  @Test
  void theFirstRuleInConfigOrderThatAllowsTheWholeRequestDecides() {
    PolicyEngine engine = PolicyFixtures.engine("""
        - upstream: graph
          as: finance
          allow:
            - "GET /v1.0/users/{id}"
            - rule: "GET /v1.0/users/{id:guid}"
              query: { $select: true }
        """);
    assertThat(((Allow) get(engine, "graph", "/v1.0/users/" + GUID)).ruleId()).isEqualTo("routes[0].allow[0]");
    assertThat(((Allow) get(engine, "graph", "/v1.0/users/" + GUID + "?$select=id")).ruleId()).isEqualTo("routes[0].allow[1]");
    Deny deny = (Deny) get(engine, "graph", "/v1.0/users/alice?$select=id");
    assertThat(deny.reason()).isEqualTo("routes[0].allow[0] does not allow the query option $select");
  }

  @Test
  void unknownCallersAndBadTargetsAreRefusedWithAReason() {
    assertThat(ENGINE.decide("stranger", new PolicyRequest("GET", "graph", "/v1.0/users", null, 0)))
        .isEqualTo(new Deny(Refusal.DENIED, "caller 'stranger' has no route to upstream 'graph'"));
    assertThat(get(ENGINE, "graph", "/v1.0/users/%2e%2e/groups"))
        .isEqualTo(new Deny(Refusal.BAD_TARGET, "the path contains an encoded '.' (%2E)"));
    assertThat(get(ENGINE, "graph", "/v1.0/groups")).isEqualTo(new Deny(Refusal.DENIED,
        "no rule of caller 'flow' allows GET /v1.0/groups on 'graph'"));
  }

  @Test
  void explainsTheNearestRulesOfADenial() {
    var explanation = ENGINE.explain(CALLER, new PolicyRequest("DELETE", "graph", "/v1.0/users/42", null, 0));
    assertThat(explanation.decision()).isInstanceOf(Deny.class);
    assertThat(explanation.rules()).first().satisfies(note -> {
      assertThat(note.id()).isEqualTo("routes[0].allow[1]");
      assertThat(note.note()).isEqualTo("the path matches, but the rule is for GET");
    });
    var patch = ENGINE.explain(CALLER, new PolicyRequest("PATCH", "graph", "/v1.0/users/42", "application/json", 2));
    assertThat(patch.rules()).singleElement().satisfies(note -> assertThat(note.rule()).isEqualTo("PATCH /v1.0/users/{id}"));
    var allowed = ENGINE.explain(CALLER, new PolicyRequest("GET", "crm", "/api/data/v9.2/accounts(" + GUID + ")", null, 0));
    assertThat(allowed.rules()).singleElement().satisfies(note -> assertThat(note.rule())
        .isEqualTo("GET /api/data/v9.2/accounts({id:key})"));
  }

  @Test
  void warnsAboutRulesBroaderThanTheyLook() {
    PolicyEngine engine = PolicyFixtures.engine("""
        - upstream: graph
          as: finance
          allow:
            - "GET /v1.0/**"
            - "DELETE /v1.0/users"
            - { rule: "GET /v1.0/users/{id}", query: { $expand: {} } }
            - "GET /v1.0/sites/{id}/**"
        - upstream: crm
          as: crm-sync
          allow: [ "GET /api/data/v9.2/{set}/**" ]
        """);
    assertThat(engine.warnings()).satisfiesExactly(
        w -> assertThat(w).startsWith("callers.flow.routes[0].allow[0]: ").contains("whole API, admin paths included"),
        w -> assertThat(w).startsWith("callers.flow.routes[0].allow[1]: ").contains("deletes on a collection"),
        w -> assertThat(w).startsWith("callers.flow.routes[0].allow[2]: ").contains("$expand without a properties list"),
        w -> assertThat(w).startsWith("callers.flow.routes[0].allow[3]: ").contains("reaches everything below /v1.0/sites/{id}"),
        w -> assertThat(w).startsWith("callers.flow.routes[1].allow[0]: ").contains("whole API"));
  }
}
