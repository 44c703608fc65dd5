package dev.spgateway.policy;

import io.vertx.core.MultiMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Request headers that would make the upstream (or the gateway itself) act on something other than what the
 * policy judged: the one list of them, each with the reason. They are refused, not stripped, so the caller
 * learns why its request did not do what it asked.
 *
 * <p>Refused when present, unless the rule that allows the request lists the header in its {@code headers:}
 * (never inside a {@code $batch}):
 * <ul>
 *   <li>Verb tunnelling: OData's {@code X-HTTP-Method} and Graph's/OneDrive's {@code X-HTTP-Method-Override} (and
 *       {@code X-Method-Override}) ask the server to treat a POST as another method; the policy judges the request
 *       line's method, so a POST allowed on one path would become a DELETE there.
 *   <li>Impersonation: Dataverse's {@code MSCRMCallerID} and {@code CallerObjectId} make the service principal act
 *       as another user, whose rights the policy never judged.
 *   <li>Bypassing business logic: Dataverse's {@code MSCRM.BypassCustomPluginExecution},
 *       {@code MSCRM.BypassBusinessLogicExecution} (and its {@code ...StepIds}) switch off plug-ins and workflows,
 *       and {@code MSCRM.SuppressCallbackRegistrationExpanderJob} the Power Automate flows a change would start,
 *       whenever the service principal holds the privilege: the write would skip the organisation's own checks.
 *   <li>Re-routing: {@code X-Original-URL} and {@code X-Rewrite-URL} make some front ends (IIS, some proxies) serve
 *       another path than the request line's, one the policy never judged.
 * </ul>
 *
 * <p>Refused when sent more than once ({@link #repeated}): a header that decides what is judged must have one
 * value, or the gateway could judge by one and the upstream act on the other.
 * <ul>
 *   <li>{@code X-Api-Key} names the caller; two could name two callers. (Two {@code Authorization} headers are
 *       refused by the Entra ID identification, with its RFC 6750 challenge, when tokens are accepted.)
 *   <li>{@code Content-Type} decides how a body is judged (a {@code $batch} is read by its boundary).
 * </ul>
 */
public final class UnjudgedHeaders {

  /** Why a header is refused, with the problem type the caller is given. */
  public record Refusal(String problemType, String reason) {}

  private static final Map<String, String> PROBLEM_TYPES = new LinkedHashMap<>();

  static {
    PROBLEM_TYPES.put("x-http-method", "method-override");
    PROBLEM_TYPES.put("x-http-method-override", "method-override");
    PROBLEM_TYPES.put("x-method-override", "method-override");
    PROBLEM_TYPES.put("mscrmcallerid", "impersonation");
    PROBLEM_TYPES.put("callerobjectid", "impersonation");
    PROBLEM_TYPES.put("mscrm.bypasscustompluginexecution", "bypass-business-logic");
    PROBLEM_TYPES.put("mscrm.bypassbusinesslogicexecution", "bypass-business-logic");
    PROBLEM_TYPES.put("mscrm.bypassbusinesslogicexecutionstepids", "bypass-business-logic");
    PROBLEM_TYPES.put("mscrm.suppresscallbackregistrationexpanderjob", "bypass-business-logic");
    PROBLEM_TYPES.put("x-original-url", "url-rewrite");
    PROBLEM_TYPES.put("x-rewrite-url", "url-rewrite");
  }

  /** Every refused name, lower case: a request is checked by looking these up, not by walking its headers. */
  public static final List<String> NAMES = List.copyOf(PROBLEM_TYPES.keySet());

  /** Headers that may be sent at most once, lower case. */
  public static final List<String> SINGLE = List.of("x-api-key", "content-type");

  private UnjudgedHeaders() {}

  /** The refusal for a header of this name, or {@code null} when it may be sent. */
  public static Refusal refusal(String headerName) {
    String type = PROBLEM_TYPES.get(headerName.toLowerCase(Locale.ROOT));
    if (type == null) return null;
    return switch (type) {
      case "method-override" -> new Refusal(type, "the " + headerName + " header asks the upstream for another method"
          + " than the one judged; send the request with its real method instead");
      case "impersonation" -> new Refusal(type, "the " + headerName + " header would make the service principal act"
          + " as another user, which no route allows; send the request without it");
      case "bypass-business-logic" -> new Refusal(type, "the " + headerName + " header would switch off the"
          + " upstream's plug-ins, workflows or flows for this change; a route must allow it (headers: in its rule)");
      case "url-rewrite" -> new Refusal(type, "the " + headerName + " header can make a front end serve another path"
          + " than the one judged; send the request without it");
      default -> throw new IllegalStateException(type);
    };
  }

  /**
   * The refusal for the first header of {@link #NAMES} in {@code headers} that {@code allowed} (lower case, the
   * deciding rule's {@code headers:}) does not list, or {@code null}.
   */
  public static Refusal notAllowed(MultiMap headers, List<String> allowed) {
    for (String name : NAMES) {
      if (headers.contains(name) && !allowed.contains(name)) return refusal(name);
    }
    return null;
  }

  /** The refusal for the first header of {@link #SINGLE} that {@code headers} holds more than once, or {@code null}. */
  public static Refusal repeated(MultiMap headers) {
    for (String name : SINGLE) {
      if (headers.getAll(name).size() > 1) {
        return new Refusal("duplicate-header", "the " + name + " header is sent more than once; the gateway judges"
            + " by one value only, so send it once");
      }
    }
    return null;
  }
}
