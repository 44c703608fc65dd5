package dev.spgateway.policy;

import dev.spgateway.policy.RouteConfig.EntitySetOperation;
import dev.spgateway.proxy.UpstreamConfig.UpstreamKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;

/**
 * Turns one caller's {@link RouteConfig}s into {@link CompiledRule}s, reporting every problem with the
 * config path it is at (relative to the route: {@code allow[2].query.$expand}) and what to write instead.
 */
final class RouteCompiler {

  static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE");
  private static final Set<String> BODYLESS = Set.of("GET", "DELETE");
  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Pattern MEDIA_TYPE = Pattern.compile("[a-z0-9][a-z0-9.+-]*/[a-z0-9][a-z0-9.+-]*");
  private static final int MAX_EXPAND_DEPTH = 5;

  private final BiConsumer<String, String> problems;
  private final List<CompiledRule> rules = new ArrayList<>();

  private RouteCompiler(BiConsumer<String, String> problems) {
    this.problems = problems;
  }

  /**
   * Compiles one route. {@code kind} decides case handling and whether {@code entitySets} make sense;
   * {@code order} is the number of rules the caller's earlier routes compiled to.
   */
  static List<CompiledRule> compile(int index, RouteConfig route, UpstreamKind kind, int order,
      BiConsumer<String, String> problems) {
    RouteCompiler compiler = new RouteCompiler(problems);
    compiler.route("routes[" + index + "]", route, kind, order);
    return List.copyOf(compiler.rules);
  }

  private void route(String id, RouteConfig route, UpstreamKind kind, int order) {
    if (route.allow().isEmpty() && route.entitySets().isEmpty()) {
      problems.accept("allow", "is empty; list what the caller may do, e.g. [\"GET /v1.0/users/{id}\"]"
          + (kind == UpstreamKind.dataverse ? ", or give entitySets: { accounts: [read] }" : ""));
    }
    QueryRules routeQuery = query("query", route.query());
    boolean ignoreCase = kind == UpstreamKind.graph; // Graph's paths are case-insensitive; Dataverse's are not
    for (int i = 0; i < route.allow().size(); i++) {
      String path = "allow[" + i + "]";
      AllowRule allow = route.allow().get(i);
      QueryRules query = allow.query() == null ? routeQuery : query(path + ".query", allow.query());
      BodyRules body = allow.body() == null ? route.body() : allow.body();
      rule(path, id + "." + path, allow.rule(), query, body, headers(path, allow), route, ignoreCase, order);
    }
    if (!route.entitySets().isEmpty() && kind != UpstreamKind.dataverse) {
      problems.accept("entitySets", "entity sets are Dataverse's; upstream '" + route.upstream() + "' is not kind: dataverse");
      return;
    }
    String api = route.apiPath();
    if (!api.matches("(/[A-Za-z0-9._~-]+)+") || api.endsWith(".")) {
      problems.accept("apiPath", "'" + api + "' is not a plain path such as " + RouteConfig.DEFAULT_API_PATH);
      return;
    }
    for (Map.Entry<String, List<EntitySetOperation>> set : route.entitySets().entrySet()) {
      String name = set.getKey();
      String path = "entitySets." + name;
      if (!IDENTIFIER.matcher(name).matches()) {
        problems.accept(path, "'" + name + "' is not an entity set name (letters, digits, _), e.g. accounts");
        continue;
      }
      if (set.getValue() == null || set.getValue().isEmpty()) {
        problems.accept(path, "is empty; list operations: [read, create, update, delete]");
        continue;
      }
      for (EntitySetOperation operation : set.getValue()) {
        String ruleId = id + "." + path + "." + operation;
        String collection = api + "/" + name;
        String row = collection + "({id:key})";
        switch (operation) {
          case read -> {
            rule(path, ruleId, "GET " + collection, routeQuery, null, List.of(), route, false, order);
            rule(path, ruleId, "GET " + row, routeQuery, null, List.of(), route, false, order);
          }
          case create -> rule(path, ruleId, "POST " + collection, QueryRules.NONE, route.body(), List.of(), route, false, order);
          case update -> rule(path, ruleId, "PATCH " + row, QueryRules.NONE, route.body(), List.of(), route, false, order);
          case delete -> rule(path, ruleId, "DELETE " + row, QueryRules.NONE, null, List.of(), route, false, order);
        }
      }
    }
  }

  /** The refused headers a rule lets through, lower case; each must be one of {@link UnjudgedHeaders#NAMES}. */
  private List<String> headers(String path, AllowRule allow) {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < allow.headers().size(); i++) {
      String name = allow.headers().get(i) == null ? "" : allow.headers().get(i).trim().toLowerCase(Locale.ROOT);
      if (UnjudgedHeaders.NAMES.contains(name)) {
        names.add(name);
      } else {
        problems.accept(path + ".headers[" + i + "]", "'" + allow.headers().get(i) + "' is not a header the gateway"
            + " refuses, so it needs no allowing; the refused ones are " + String.join(", ", UnjudgedHeaders.NAMES));
      }
    }
    return List.copyOf(names);
  }

  private void rule(String path, String id, String text, QueryRules query, BodyRules body, List<String> headers,
      RouteConfig route, boolean ignoreCase, int order) {
    if (text == null || text.isBlank()) {
      problems.accept(path, "the rule is empty; write \"GET /v1.0/users/{id}\"");
      return;
    }
    String[] parts = text.trim().split("\\s+");
    if (parts.length != 2) {
      problems.accept(path, "'" + text + "' is not \"METHOD /path\"; write \"GET /v1.0/users/{id}\" or \"GET,PATCH /v1.0/users/{id}\"");
      return;
    }
    PathTemplate template;
    try {
      template = PathTemplate.parse(parts[1]);
    } catch (IllegalArgumentException e) {
      problems.accept(path, e.getMessage());
      return;
    }
    for (String method : parts[0].split(",")) {
      if (!METHODS.contains(method)) {
        problems.accept(path, "'" + method + "' is not one of " + String.join(", ", METHODS.stream().sorted().toList())
            + (method.equals("HEAD") ? " (a GET rule allows HEAD too)" : ""));
        continue;
      }
      boolean bodyless = BODYLESS.contains(method);
      Long maxBytes = body == null ? null : body.maxBytes();
      if (maxBytes != null && maxBytes < 0) problems.accept(path + ".body.maxBytes", "must be 0 or more");
      List<String> contentTypes = contentTypes(path, body);
      long max = maxBytes != null ? maxBytes : bodyless ? 0 : BodyRules.DEFAULT_MAX_BYTES;
      rules.add(new CompiledRule(id, order + rules.size(), route.upstream(), route.as(), method, template, ignoreCase,
          query, max, contentTypes, body != null && body.unknownLength(), headers));
    }
  }

  private List<String> contentTypes(String path, BodyRules body) {
    if (body == null || body.contentTypes() == null) return BodyRules.DEFAULT_CONTENT_TYPES;
    List<String> types = body.contentTypes().stream().map(t -> t == null ? "" : t.trim().toLowerCase(Locale.ROOT)).toList();
    for (int i = 0; i < types.size(); i++) {
      if (!MEDIA_TYPE.matcher(types.get(i)).matches() && !types.get(i).equals(BodyRules.ANY_TYPE)) {
        problems.accept(path + ".body.contentTypes[" + i + "]", "'" + body.contentTypes().get(i)
            + "' is not a media type such as application/json");
      }
    }
    return types;
  }

  private QueryRules query(String path, QueryRules query) {
    if (query == null) return QueryRules.NONE;
    if (query.top() != null && query.top() < 1) {
      problems.accept(path + ".$top", "is the largest $top allowed; give 1 or more (leave $top out to refuse it)");
    }
    QueryRules.Expand expand = query.expand();
    if (expand != null) {
      if (expand.depth() < 1 || expand.depth() > MAX_EXPAND_DEPTH) {
        problems.accept(path + ".$expand.depth", "must be 1 to " + MAX_EXPAND_DEPTH);
      }
      for (int i = 0; i < expand.properties().size(); i++) {
        String property = expand.properties().get(i);
        if (property == null || !IDENTIFIER.matcher(property).matches()) {
          problems.accept(path + ".$expand.properties[" + i + "]", "'" + property
              + "' is not a navigation property name such as manager or primarycontactid");
        }
      }
    }
    return query;
  }
}
