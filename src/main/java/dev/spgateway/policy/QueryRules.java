package dev.spgateway.policy;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The OData query options a rule allows; an option not set here is refused. Values are not judged,
 * except {@code $top} (a cap), {@code $count} (true or false) and {@code $expand} (which navigation
 * properties, how deep).
 */
public record QueryRules(
    @JsonProperty("$select") Boolean select,
    @JsonProperty("$filter") Boolean filter,
    @JsonProperty("$orderby") Boolean orderby,
    @JsonProperty("$top") Integer top,
    @JsonProperty("$skip") Boolean skip,
    @JsonProperty("$skiptoken") Boolean skiptoken,
    @JsonProperty("$search") Boolean search,
    @JsonProperty("$count") Boolean count,
    @JsonProperty("$apply") Boolean apply,
    @JsonProperty("$expand") Expand expand) {

  public QueryRules {
    select = Boolean.TRUE.equals(select);
    filter = Boolean.TRUE.equals(filter);
    orderby = Boolean.TRUE.equals(orderby);
    skip = Boolean.TRUE.equals(skip);
    skiptoken = Boolean.TRUE.equals(skiptoken);
    search = Boolean.TRUE.equals(search);
    count = Boolean.TRUE.equals(count);
    apply = Boolean.TRUE.equals(apply);
  }

  /** Allows no query option at all. */
  public static final QueryRules NONE = new QueryRules(false, false, false, null, false, false, false, false, false, null);

  /**
   * {@code $expand}: the navigation properties that may be expanded, at any level, and how many levels.
   *
   * @param properties navigation property names; empty means any (which {@code check} warns about)
   * @param depth how many levels of {@code $expand} may nest; 1 when absent
   */
  public record Expand(List<String> properties, Integer depth) {

    public Expand {
      properties = properties == null ? List.of() : List.copyOf(properties);
      if (depth == null) depth = 1;
    }
  }
}
