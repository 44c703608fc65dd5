package dev.spgateway.policy;

import com.fasterxml.jackson.annotation.JsonCreator;

/**
 * One allow rule. In YAML either the shorthand string {@code "GET /v1.0/users/{id}"} or a mapping
 * {@code { rule: "GET,PATCH /v1.0/users/{id:guid}", query: {...}, body: {...} }}.
 *
 * @param rule methods (comma-separated) and a path template
 * @param query the query options it allows; the route's when absent
 * @param body the bodies it accepts; the route's when absent
 * @param headers headers of {@link UnjudgedHeaders#NAMES} this rule lets through (e.g.
 *     {@code MSCRM.BypassCustomPluginExecution} for an import that must skip plug-ins); none when absent
 */
public record AllowRule(String rule, QueryRules query, BodyRules body, java.util.List<String> headers) {

  @JsonCreator(mode = JsonCreator.Mode.PROPERTIES)
  public AllowRule {
    headers = headers == null ? java.util.List.of() : java.util.List.copyOf(headers);
  }

  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  public static AllowRule of(String rule) {
    return new AllowRule(rule, null, null, null);
  }
}
