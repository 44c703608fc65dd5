package dev.spgateway.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spgateway.config.CallerConfig;
import dev.spgateway.identity.ApiKeyConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TemplateRoutePolicyTest {

  final RoutePolicy policy = new TemplateRoutePolicy(Map.of("invoice-flow", new CallerConfig(new ApiKeyConfig("x"),
      List.of(new RouteConfig("graph", "finance", List.of("GET /v1.0/users/{id}", "POST /v1.0/users/{id}/sendMail")),
          new RouteConfig("crm-prod", "crm", List.of("GET /api/data/v9.2/accounts"))))));

  private Decision decide(String caller, String method, String upstream, String target) {
    return policy.decide(caller, new PolicyRequest(method, upstream, target, null, 0));
  }

  @Test
  void allowsWhatARuleSaysAndNamesTheRule() {
    assertThat(decide("invoice-flow", "POST", "graph", "/v1.0/users/42/sendMail"))
        .isEqualTo(new Decision.Allow("routes[0].allow[1]", "graph", "finance", "/v1.0/users/42/sendMail", List.of(), List.of()));
    assertThat(decide("invoice-flow", "GET", "crm-prod", "/api/data/v9.2/accounts"))
        .isEqualTo(new Decision.Allow("routes[1].allow[0]", "crm-prod", "crm", "/api/data/v9.2/accounts", List.of(), List.of()));
    assertThat(decide("invoice-flow", "HEAD", "graph", "/v1.0/users/42")).isInstanceOf(Decision.Allow.class);
  }

  @Test
  void deniesEverythingElse() {
    assertThat(decide("invoice-flow", "DELETE", "graph", "/v1.0/users/42")).isInstanceOf(Decision.Deny.class);
    assertThat(decide("invoice-flow", "GET", "graph", "/v1.0/users")).isInstanceOf(Decision.Deny.class);
    assertThat(decide("invoice-flow", "GET", "graph", "/v1.0/users/42/manager")).isInstanceOf(Decision.Deny.class);
    assertThat(decide("invoice-flow", "GET", "graph", "/v1.0/Users/42")).isInstanceOf(Decision.Deny.class);
    assertThat(decide("invoice-flow", "GET", "crm-test", "/api/data/v9.2/accounts"))
        .isEqualTo(new Decision.Deny(Decision.Refusal.DENIED, "caller 'invoice-flow' has no route to upstream 'crm-test'"));
    assertThat(decide("someone-else", "GET", "graph", "/v1.0/users/42")).isInstanceOf(Decision.Deny.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"/v1.0/users/a%2Fb", "/v1.0/users/a%2fb", "/v1.0/users/%2e%2e", "/v1.0/users/..", "/v1.0/./users",
      "/v1.0//users", "/v1.0/users/", "/v1.0/users\\x", "/v1.0/users;x=1", "/v1.0/users/a%5Cb", "/v1.0/users/%252e",
      "/v1.0/us ers", "/v1.0/usérs"})
  void ambiguousPathsAreRefusedBeforeAnyRule(String path) {
    assertThat(RequestPaths.problem(path)).isNotNull();
  }

  @Test
  void ordinaryPathsPass() {
    assertThat(RequestPaths.problem("/v1.0/users/alice@contoso.com/messages")).isNull();
    assertThat(RequestPaths.problem("/api/data/v9.2/accounts(00000000-0000-0000-0000-000000000001)")).isNull();
    assertThat(RequestPaths.problem("/v1.0/users/a%40b")).isNull();
  }

  @Test
  void rulesThatCannotWorkAreRefusedWithAReason() {
    assertThatThrownBy(() -> RouteRule.parse("r", "GET")).hasMessageContaining("is not \"METHOD /path\"");
    assertThatThrownBy(() -> RouteRule.parse("r", "GET v1.0/users")).hasMessageContaining("must start with /");
    assertThatThrownBy(() -> RouteRule.parse("r", "GET /v1.0/users/{id")).hasMessageContaining("neither a literal");
  }
}
