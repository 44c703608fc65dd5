package dev.spgateway.policy;

import java.util.List;
import java.util.Map;

/**
 * What a caller may do on one upstream, acting as one service principal. Anything not allowed here is denied.
 *
 * @param upstream the upstream's name ({@code graph}, {@code crm-prod})
 * @param as the service principal whose token is spent
 * @param allow rules, each {@code "GET /v1.0/users/{id}"} or a mapping with its own query and body limits
 * @param entitySets Dataverse only: entity set → operations ({@code accounts: [read, create]}), expanded to the
 *     method and path shapes each operation needs under {@code apiPath}
 * @param apiPath Dataverse only: the Web API's version path the entity sets live under; {@code /api/data/v9.2}
 * @param query the query options this route's rules allow unless a rule says otherwise; none when absent
 * @param body the bodies this route's rules accept unless a rule says otherwise
 */
public record RouteConfig(String upstream, String as, List<AllowRule> allow, Map<String, List<EntitySetOperation>> entitySets,
    String apiPath, QueryRules query, BodyRules body) {

  public static final String DEFAULT_API_PATH = "/api/data/v9.2";

  public RouteConfig {
    allow = allow == null ? List.of() : List.copyOf(allow);
    entitySets = entitySets == null ? Map.of() : Map.copyOf(entitySets);
    if (apiPath == null) apiPath = DEFAULT_API_PATH;
  }

  /** What a Dataverse entity set operation expands to. */
  public enum EntitySetOperation {
    /** GET the collection and GET one row by key. */
    read,
    /** POST to the collection. */
    create,
    /** PATCH one row by key. */
    update,
    /** DELETE one row by key. */
    delete
  }
}
