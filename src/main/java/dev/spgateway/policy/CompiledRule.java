package dev.spgateway.policy;

import dev.spgateway.policy.CanonicalTarget.QueryOption;
import dev.spgateway.policy.Decision.Deny;
import dev.spgateway.policy.Decision.Refusal;
import java.util.List;
import java.util.Locale;

/**
 * One allow rule ready to judge requests: config is read once here, never per request.
 *
 * @param id the rule's id as the config names it ({@code routes[0].allow[1]}, {@code routes[1].entitySets.accounts.read})
 * @param order position among the caller's rules; the first rule in config order that allows a request decides
 * @param method the method it allows ({@code GET} brings {@code HEAD}); a rule naming several compiles to one each
 * @param ignoreCase whether literal path parts match whatever their case (Graph), forwarded in the template's spelling
 * @param maxBodyBytes the largest declared body; 0 for none
 * @param contentTypes media types a body may have, lower case ({@link BodyRules#ANY_TYPE}: any)
 * @param unknownLength whether a chunked body of undeclared length is accepted
 * @param headers refused headers ({@link UnjudgedHeaders#NAMES}) this rule lets through, lower case
 */
record CompiledRule(String id, int order, String upstream, String servicePrincipal, String method,
    PathTemplate template, boolean ignoreCase, QueryRules query, long maxBodyBytes, List<String> contentTypes,
    boolean unknownLength, List<String> headers) {

  /** The rule as an operator wrote it, for {@code check}. */
  String describe() {
    return method + " " + template;
  }

  /** Does the path match? {@code segments} are canonical. */
  boolean matchesPath(String[] segments) {
    int fixed = fixedSegments();
    if (template.endsWithTail() ? segments.length <= fixed : segments.length != fixed) return false;
    return matchedSegments(segments) == fixed;
  }

  /** The template's segments before any {@code **}. */
  int fixedSegments() {
    return template.segments().size() - (template.endsWithTail() ? 1 : 0);
  }

  /** How many leading segments match the template's fixed segments; ranks near misses for {@code check}. */
  int matchedSegments(String[] segments) {
    int limit = Math.min(fixedSegments(), segments.length);
    for (int i = 0; i < limit; i++) {
      if (!template.segments().get(i).matches(segments[i], ignoreCase)) return i;
    }
    return limit;
  }

  /** The path as forwarded: literal parts in the template's spelling. Only for a path that matches. */
  String forwardedPath(CanonicalTarget target) {
    String[] segments = target.segments();
    List<PathTemplate.Segment> parts = template.segments();
    if (!ignoreCase || spelledAsTemplate(segments)) return target.path();
    StringBuilder path = new StringBuilder(target.path().length());
    for (int i = 0; i < segments.length; i++) {
      path.append('/').append(parts.get(Math.min(i, parts.size() - 1)).canonical(segments[i]));
    }
    return path.toString();
  }

  private boolean spelledAsTemplate(String[] segments) {
    for (int i = 0; i < fixedSegments(); i++) {
      if (!template.segments().get(i).matches(segments[i], false)) return false;
    }
    return true;
  }

  /** Judges what is beyond the path (the path already matched): null when allowed, else why not. */
  Deny judge(CanonicalTarget target, String contentType, long contentLength) {
    for (QueryOption option : target.options()) {
      Deny denied = judgeOption(option.name(), option.decoded());
      if (denied != null) return denied;
    }
    return judgeBody(contentType, contentLength);
  }

  private Deny judgeOption(String name, String value) {
    boolean allowed = switch (name) {
      case "$select" -> query.select();
      case "$filter" -> query.filter();
      case "$orderby" -> query.orderby();
      case "$skip" -> query.skip();
      case "$skiptoken" -> query.skiptoken();
      case "$search" -> query.search();
      case "$apply" -> query.apply();
      case "$count" -> query.count();
      case "$top" -> query.top() != null;
      case "$expand" -> query.expand() != null;
      default -> false;
    };
    if (!allowed) return denied(id + " does not allow the query option " + name);
    if (name.equals("$count") && !value.equals("true") && !value.equals("false")) {
      return new Deny(Refusal.BAD_TARGET, "$count must be true or false");
    }
    if (name.equals("$top")) return judgeTop(value);
    if (name.equals("$expand")) {
      try {
        return judgeExpand(ExpandParser.parse(value), 1);
      } catch (BadTarget e) {
        return new Deny(Refusal.BAD_TARGET, e.getMessage());
      }
    }
    return null;
  }

  private Deny judgeTop(String value) {
    if (value.isEmpty() || value.length() > 9 || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return new Deny(Refusal.BAD_TARGET, "$top must be a whole number, not '" + value + "'");
    }
    int top = Integer.parseInt(value);
    return top > query.top() ? denied("$top=" + top + " is more than the " + query.top() + " that " + id + " allows") : null;
  }

  private Deny judgeExpand(List<ExpandParser.Item> items, int level) {
    QueryRules.Expand expand = query.expand();
    if (level > expand.depth()) {
      return denied("$expand nests " + level + " levels deep; " + id + " allows " + expand.depth());
    }
    for (ExpandParser.Item item : items) {
      for (int i = 0; i < item.path().size(); i++) {
        String part = item.path().get(i);
        boolean last = i == item.path().size() - 1;
        if (part.equals("*")) return denied("$expand=* expands every navigation property; name the ones you need");
        if (part.startsWith("$") ? !(last && (part.equals("$ref") || part.equals("$count"))) : !isListed(part)) {
          return denied("$expand of '" + part + "' is not allowed by " + id
              + (expand.properties().isEmpty() ? "" : "; it allows " + String.join(", ", expand.properties())));
        }
      }
      for (String[] option : item.options()) {
        if (option[0].equals("$levels")) return denied("$levels inside $expand expands without bound; nest $expand instead");
        if (!TargetCanonicalizer.OPTIONS.contains(option[0])) {
          return new Deny(Refusal.BAD_TARGET, "unknown option '" + option[0] + "' inside $expand");
        }
        Deny denied = judgeOption(option[0], option[1]);
        if (denied != null) return denied;
      }
      Deny nested = item.nested().isEmpty() ? null : judgeExpand(item.nested(), level + 1);
      if (nested != null) return nested;
    }
    return null;
  }

  /** Type casts ({@code microsoft.graph.user}) narrow, they do not reach further. */
  private boolean isListed(String property) {
    if (property.indexOf('.') >= 0 || query.expand().properties().isEmpty()) return true;
    for (String listed : query.expand().properties()) {
      if (listed.equalsIgnoreCase(property)) return true;
    }
    return false;
  }

  private Deny judgeBody(String contentType, long contentLength) {
    if (contentLength == 0) return null;
    if (maxBodyBytes == 0) {
      return new Deny(Refusal.BODY_TOO_LARGE, id + " accepts no request body; send none");
    }
    if (contentLength < 0 && !unknownLength) {
      return new Deny(Refusal.BODY_TOO_LARGE, "send a Content-Length: bodies of unknown length are refused, " + id
          + " accepts at most " + maxBodyBytes + " bytes");
    }
    if (contentLength > maxBodyBytes) {
      return new Deny(Refusal.BODY_TOO_LARGE, "the body is " + contentLength + " bytes; " + id + " accepts at most "
          + maxBodyBytes);
    }
    String mediaType;
    try {
      mediaType = contentType == null ? "" : MediaType.parse(contentType).type();
    } catch (MediaType.Malformed e) {
      return new Deny(Refusal.UNSUPPORTED_MEDIA_TYPE, e.getMessage() + "; " + id + " accepts "
          + String.join(", ", contentTypes));
    }
    if (!contentTypes.contains(mediaType) && !contentTypes.contains(BodyRules.ANY_TYPE)) {
      return new Deny(Refusal.UNSUPPORTED_MEDIA_TYPE, (mediaType.isEmpty() ? "the body has no Content-Type" : "Content-Type '"
          + mediaType + "' is not accepted") + "; " + id + " accepts " + String.join(", ", contentTypes));
    }
    return null;
  }

  private static Deny denied(String reason) {
    return new Deny(Refusal.DENIED, reason);
  }
}
