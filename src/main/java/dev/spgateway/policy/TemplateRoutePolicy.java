package dev.spgateway.policy;

import dev.spgateway.config.CallerConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** First-cut policy: per caller and upstream, a list of {@link RouteRule}s tried in order. */
public final class TemplateRoutePolicy implements RoutePolicy {

  private record CompiledRule(RouteRule rule, String servicePrincipal) {}

  /** caller → upstream → rules, compiled once at start. */
  private final Map<String, Map<String, List<CompiledRule>>> rules;

  public TemplateRoutePolicy(Map<String, CallerConfig> callers) {
    Map<String, Map<String, List<CompiledRule>>> compiled = new HashMap<>();
    callers.forEach((caller, config) -> {
      Map<String, List<CompiledRule>> byUpstream = new HashMap<>();
      for (int r = 0; r < config.routes().size(); r++) {
        RouteConfig route = config.routes().get(r);
        for (int a = 0; a < route.allow().size(); a++) {
          String id = "routes[" + r + "].allow[" + a + "]";
          byUpstream.computeIfAbsent(route.upstream(), u -> new ArrayList<>())
              .add(new CompiledRule(RouteRule.parse(id, route.allow().get(a)), route.as()));
        }
      }
      byUpstream.replaceAll((upstream, list) -> List.copyOf(list));
      compiled.put(caller, Map.copyOf(byUpstream));
    });
    this.rules = Map.copyOf(compiled);
  }

  @Override
  public Decision decide(String caller, PolicyRequest request) {
    String upstream = request.upstream();
    String target = request.target();
    int question = target.indexOf('?');
    String path = question < 0 ? target : target.substring(0, question);
    String problem = RequestPaths.problem(path);
    if (problem == null && question >= 0) problem = RequestPaths.queryProblem(target.substring(question + 1));
    if (problem != null) return new Decision.Deny(Decision.Refusal.BAD_TARGET, problem);
    List<CompiledRule> candidates = rules.getOrDefault(caller, Map.of()).get(upstream);
    if (candidates == null) {
      return new Decision.Deny(Decision.Refusal.DENIED, "caller '" + caller + "' has no route to upstream '" + upstream + "'");
    }
    String[] segments = path.substring(1).split("/", -1);
    for (CompiledRule candidate : candidates) {
      if (candidate.rule().matches(request.method(), segments)) {
        return new Decision.Allow(candidate.rule().id(), upstream, candidate.servicePrincipal(), target, List.of(), List.of());
      }
    }
    return new Decision.Deny(Decision.Refusal.DENIED,
        "no rule of caller '" + caller + "' allows " + request.method() + " " + path + " on '" + upstream + "'");
  }
}
