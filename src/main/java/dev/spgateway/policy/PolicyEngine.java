package dev.spgateway.policy;

import dev.spgateway.policy.Decision.Deny;
import dev.spgateway.policy.Decision.Refusal;
import dev.spgateway.proxy.UpstreamConfig;
import dev.spgateway.proxy.UpstreamConfig.UpstreamKind;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.stream.Collectors;

/**
 * The route policy: the target is reduced to its canonical form ({@link TargetCanonicalizer}), then the
 * first rule in config order whose method, path, query options and body all fit allows it; anything
 * else is denied. Rules are compiled and indexed once, at start; a decision reads nothing from the config.
 */
public final class PolicyEngine implements RoutePolicy {

  /** caller → upstream → indexed rules. */
  private final Map<String, Map<String, RuleIndex>> indexes;
  /** caller → all its rules, in config order: what {@link #explain} walks. */
  private final Map<String, List<CompiledRule>> rules;

  /**
   * Builds the engine from each caller's routes, as checked by {@link #check}; a rule that does not compile throws.
   */
  public PolicyEngine(Map<String, List<RouteConfig>> routesByCaller, Map<String, UpstreamConfig> upstreams) {
    Map<String, Map<String, RuleIndex>> indexes = new HashMap<>();
    Map<String, List<CompiledRule>> rules = new HashMap<>();
    routesByCaller.forEach((caller, routes) -> {
      List<CompiledRule> compiled = compile(routes, upstreams, (path, problem) -> {
        throw new IllegalArgumentException("callers." + caller + "." + path + ": " + problem);
      });
      rules.put(caller, compiled);
      Map<String, List<CompiledRule>> byUpstream = compiled.stream()
          .collect(Collectors.groupingBy(CompiledRule::upstream));
      Map<String, RuleIndex> byName = new HashMap<>();
      byUpstream.forEach((upstream, list) -> byName.put(upstream, new RuleIndex(list, isGraph(upstreams, upstream))));
      indexes.put(caller, Map.copyOf(byName));
    });
    this.indexes = Map.copyOf(indexes);
    this.rules = Map.copyOf(rules);
  }

  /**
   * Reports each problem of one route as (path under the route, message). {@code ConfigValidator} calls
   * this, so what the validator accepts is exactly what the engine compiles.
   */
  public static void check(RouteConfig route, UpstreamKind kind, BiConsumer<String, String> problems) {
    RouteCompiler.compile(0, route, kind, 0, problems);
  }

  private static List<CompiledRule> compile(List<RouteConfig> routes, Map<String, UpstreamConfig> upstreams,
      BiConsumer<String, String> problems) {
    List<CompiledRule> compiled = new ArrayList<>();
    for (int i = 0; i < routes.size(); i++) {
      RouteConfig route = routes.get(i);
      String prefix = "routes[" + i + "].";
      UpstreamConfig upstream = upstreams.get(route.upstream());
      UpstreamKind kind = upstream == null ? null : upstream.kind();
      compiled.addAll(RouteCompiler.compile(i, route, kind, compiled.size(),
          (path, problem) -> problems.accept(prefix + path, problem)));
    }
    return List.copyOf(compiled);
  }

  private static boolean isGraph(Map<String, UpstreamConfig> upstreams, String upstream) {
    UpstreamConfig config = upstreams.get(upstream);
    return config != null && config.kind() == UpstreamKind.graph;
  }

  @Override
  public Decision decide(String caller, PolicyRequest request) {
    CanonicalTarget target;
    try {
      target = TargetCanonicalizer.canonicalize(request.target());
    } catch (BadTarget e) {
      return new Deny(Refusal.BAD_TARGET, e.getMessage());
    }
    for (String segment : target.segments()) {
      if (segment.equalsIgnoreCase("$batch")) {
        return new Deny(Refusal.DENIED, "'$batch' is accepted only as a batch request (POST /v1.0/$batch, "
            + "POST /api/data/v9.2/$batch), whose sub-requests are judged one by one");
      }
    }
    RuleIndex index = indexes.getOrDefault(caller, Map.of()).get(request.upstream());
    if (index == null) {
      return new Deny(Refusal.DENIED, "caller '" + caller + "' has no route to upstream '" + request.upstream() + "'");
    }
    List<CompiledRule> candidates = index.candidates(request.method(), target.segments());
    Deny first = null;
    for (CompiledRule rule : candidates) {
      Deny denied = rule.judge(target, request.contentType(), request.contentLength());
      if (denied == null) return allow(rule, request, target);
      if (first == null) first = denied;
    }
    return first != null ? first : new Deny(Refusal.DENIED, "no rule of caller '" + caller + "' allows "
        + request.method() + " " + target.path() + " on '" + request.upstream() + "'");
  }

  private static Decision.Allow allow(CompiledRule rule, PolicyRequest request, CanonicalTarget target) {
    String query = target.query();
    String path = rule.forwardedPath(target);
    String forwarded = query.isEmpty() ? path : path + "?" + query;
    return new Decision.Allow(rule.id(), request.upstream(), rule.servicePrincipal(), forwarded, target.optionNames(),
        List.of(), rule.headers());
  }

  /**
   * The decision with its reasons, for {@code sp-gateway check}: the rule that decided, or, when denied,
   * the nearest rules and why each did not fit. Slow on purpose (walks every rule); never on the request path.
   */
  public Explanation explain(String caller, PolicyRequest request) {
    Decision decision = decide(caller, request);
    List<CompiledRule> all = rules.getOrDefault(caller, List.of());
    String method = request.method().equals("HEAD") ? "GET" : request.method();
    if (decision instanceof Decision.Allow allow) {
      String[] segments = TargetCanonicalizer.canonicalize(request.target()).segments();
      CompiledRule rule = all.stream()
          .filter(r -> r.id().equals(allow.ruleId()) && r.method().equals(method) && r.matchesPath(segments))
          .findFirst().orElseThrow();
      return new Explanation(decision, List.of(new RuleNote(rule.id(), rule.describe(), "allows it; forwarded as "
          + allow.target())));
    }
    CanonicalTarget target;
    try {
      target = TargetCanonicalizer.canonicalize(request.target());
    } catch (BadTarget e) {
      return new Explanation(decision, List.of());
    }
    List<RuleNote> notes = all.stream()
        .filter(rule -> rule.upstream().equals(request.upstream()))
        .sorted(Comparator.comparingInt((CompiledRule rule) -> -rule.matchedSegments(target.segments())
            - (rule.method().equals(method) ? 1 : 0)).thenComparingInt(CompiledRule::order))
        .limit(3)
        .map(rule -> new RuleNote(rule.id(), rule.describe(), whyNot(rule, method, target, request)))
        .toList();
    return new Explanation(decision, notes);
  }

  private static String whyNot(CompiledRule rule, String method, CanonicalTarget target, PolicyRequest request) {
    String[] segments = target.segments();
    if (!rule.matchesPath(segments)) {
      int matched = rule.matchedSegments(segments);
      if (matched < Math.min(rule.fixedSegments(), segments.length)) {
        return "path segment " + (matched + 1) + " '" + segments[matched] + "' does not match '"
            + rule.template().segments().get(matched) + "'";
      }
      return segments.length > rule.fixedSegments() ? "the path is longer than the template" : "the path is shorter than the template";
    }
    if (!rule.method().equals(method)) return "the path matches, but the rule is for " + rule.method();
    Deny denied = rule.judge(target, request.contentType(), request.contentLength());
    return denied == null ? "allows it, but an earlier rule decided" : denied.reason();
  }

  /**
   * Rules that allow more than they seem to, as {@code callers.NAME.RULE-ID: why}: wildcards (above all
   * ones reaching the whole API, admin paths included), {@code $expand} without a property list, DELETE
   * on a collection.
   */
  public List<String> warnings() {
    List<String> warnings = new ArrayList<>();
    rules.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(caller -> {
      String seen = null;
      for (CompiledRule rule : caller.getValue()) {
        String key = rule.id() + rule.method();
        if (key.equals(seen)) continue; // an entity set's read is two rules with one id
        seen = key;
        for (String warning : PolicyWarnings.of(rule)) warnings.add("callers." + caller.getKey() + "." + rule.id() + ": " + warning);
      }
    });
    return warnings.stream().distinct().toList();
  }

  /** A decision and the rules that explain it. */
  public record Explanation(Decision decision, List<RuleNote> rules) {}

  /** One rule as {@code check} shows it: its id, its text, and what it says about the request. */
  public record RuleNote(String id, String rule, String note) {}
}
