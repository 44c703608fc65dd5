package dev.spgateway.bench;

import dev.spgateway.policy.AllowRule;
import dev.spgateway.policy.Decision;
import dev.spgateway.policy.PolicyEngine;
import dev.spgateway.policy.PolicyRequest;
import dev.spgateway.policy.QueryRules;
import dev.spgateway.policy.RouteConfig;
import dev.spgateway.policy.RouteConfig.EntitySetOperation;
import dev.spgateway.proxy.UpstreamConfig;
import dev.spgateway.proxy.UpstreamConfig.UpstreamKind;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One policy decision, canonicalisation included, for a caller with 10, 100 or 1,000 routes: a quarter
 * each of Graph rules under {@code /v1.0/users/{id}/...}, Graph rules with typed GUID segments, Graph
 * wildcards, and Dataverse entity sets. The requests hit the last routes added, with query options.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class PolicyBenchmark {

  private static final String GUID = "0a1b2c3d-0000-4000-8000-00000000abcd";

  @Param({"10", "100", "1000"})
  public int routes;

  private PolicyEngine policy;
  private PolicyRequest graphAllowed;
  private PolicyRequest graphWildcard;
  private PolicyRequest dataverseAllowed;
  private PolicyRequest denied;

  @Setup
  public void setUp() {
    QueryRules query = new QueryRules(true, true, null, 100, null, null, null, null, null,
        new QueryRules.Expand(List.of("manager"), 1));
    List<RouteConfig> config = new ArrayList<>();
    int last = routes / 4 - 1;
    for (int i = 0; i < routes / 4; i++) {
      config.add(new RouteConfig("graph", "finance", List.of(
          AllowRule.of("GET /v1.0/users/{id}/resource" + i),
          AllowRule.of("GET,PATCH /v1.0/groups" + i + "/{id:guid}"),
          AllowRule.of("GET /v1.0/sites/{site}/lists" + i + "/**")), null, null, query, null));
      config.add(new RouteConfig("crm", "finance", List.of(), Map.of("set" + i, List.of(EntitySetOperation.read,
          EntitySetOperation.update)), null, query, null));
    }
    policy = new PolicyEngine(Map.of("flow", config), Map.of(
        "graph", new UpstreamConfig(URI.create("https://graph.microsoft.com"), UpstreamKind.graph, null, null, null),
        "crm", new UpstreamConfig(URI.create("https://contoso.crm.dynamics.com"), UpstreamKind.dataverse, null, null, null)));
    graphAllowed = new PolicyRequest("GET", "graph",
        "/v1.0/users/alice%40contoso.com/resource" + last + "?$select=id,displayName&$top=10&$expand=manager", null, 0);
    graphWildcard = new PolicyRequest("GET", "graph", "/v1.0/sites/contoso.sharepoint.com,1,2/lists" + last + "/items/7",
        null, 0);
    dataverseAllowed = new PolicyRequest("GET", "crm", "/api/data/v9.2/set" + last + "(" + GUID + ")?$select=name", null, 0);
    denied = new PolicyRequest("GET", "graph", "/v1.0/users/alice/resource" + routes + "?$select=id", null, 0);
    for (PolicyRequest allowed : List.of(graphAllowed, graphWildcard, dataverseAllowed)) {
      if (!(policy.decide("flow", allowed) instanceof Decision.Allow)) throw new IllegalStateException("not allowed: " + allowed);
    }
    if (!(policy.decide("flow", denied) instanceof Decision.Deny)) throw new IllegalStateException("not denied: " + denied);
  }

  @Benchmark
  public Object graphAllowed() {
    return policy.decide("flow", graphAllowed);
  }

  @Benchmark
  public Object graphWildcard() {
    return policy.decide("flow", graphWildcard);
  }

  @Benchmark
  public Object dataverseAllowed() {
    return policy.decide("flow", dataverseAllowed);
  }

  @Benchmark
  public Object denied() {
    return policy.decide("flow", denied);
  }
}
