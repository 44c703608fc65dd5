package dev.spgateway.policy;

import java.util.ArrayList;
import java.util.List;

/** Why a rule may allow more than its text suggests; what {@code sp-gateway check} warns about. */
final class PolicyWarnings {

  private PolicyWarnings() {}

  static List<String> of(CompiledRule rule) {
    List<String> warnings = new ArrayList<>();
    List<PathTemplate.Segment> segments = rule.template().segments();
    String text = rule.describe();
    if (rule.template().endsWithTail()) {
      if (versionPathOnly(rule)) {
        warnings.add("'" + text + "' reaches the whole API, admin paths included ("
            + (rule.ignoreCase() ? "/applications, /servicePrincipals, /roleManagement" : "systemusers, roles, solutions")
            + "); name the resources instead of '**'");
      } else {
        warnings.add("'" + text + "' reaches everything below "
            + rule.template().text().substring(0, rule.template().text().length() - 3)
            + ", sub-resources and actions included (permissions, sharing links)");
      }
    }
    if (rule.query().expand() != null && rule.query().expand().properties().isEmpty()) {
      warnings.add("$expand without a properties list allows every navigation property; list them: "
          + "$expand: { properties: [manager], depth: 1 }");
    }
    PathTemplate.Segment last = segments.get(segments.size() - 1);
    if (rule.method().equals("DELETE") && (last.isLiteral() || last.isTail())) {
      warnings.add("'" + text + "' deletes on a collection" + (last.isTail() ? " (a wildcard)" : "")
          + "; allow DELETE on single items, e.g. "
          + (rule.ignoreCase() ? "/v1.0/users/{id:guid}" : "accounts({id:key})"));
    }
    return warnings;
  }

  /** True when nothing but the API's version path ({@code /v1.0}, {@code /api/data/v9.2}) precedes the wildcard. */
  private static boolean versionPathOnly(CompiledRule rule) {
    List<PathTemplate.Segment> segments = rule.template().segments();
    int versionSegments = rule.ignoreCase() ? 1 : 3;
    for (int i = versionSegments; i < segments.size() - 1; i++) {
      if (segments.get(i).isLiteral()) return false;
    }
    return true;
  }
}
