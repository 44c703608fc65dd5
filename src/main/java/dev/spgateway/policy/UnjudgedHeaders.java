package dev.spgateway.policy;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Request headers that would make the upstream do something other than what the policy judged. They are refused,
 * not stripped, so the caller learns why its request did not do what it asked.
 *
 * <ul>
 *   <li>Verb tunnelling: OData's {@code X-HTTP-Method} and Graph's/OneDrive's {@code X-HTTP-Method-Override} (and
 *       {@code X-Method-Override}) ask the server to treat a POST as another method; the policy judges the request
 *       line's method, so a POST allowed on one path would become a DELETE there.
 *   <li>Impersonation: Dataverse's {@code MSCRMCallerID} and {@code CallerObjectId} make the service principal act
 *       as another user, whose rights the policy never judged.
 * </ul>
 */
public final class UnjudgedHeaders {

  /** Why a header is refused, with the problem type the caller is given. */
  public record Refusal(String problemType, String reason) {}

  private static final Set<String> METHOD_OVERRIDE = Set.of("x-http-method", "x-http-method-override", "x-method-override");
  private static final Set<String> IMPERSONATION = Set.of("mscrmcallerid", "callerobjectid");

  /** Every refused name, lower case: a request is checked by looking these up, not by walking its headers. */
  public static final List<String> NAMES = java.util.stream.Stream.concat(METHOD_OVERRIDE.stream(),
      IMPERSONATION.stream()).toList();

  private UnjudgedHeaders() {}

  /** The refusal for a header of this name, or {@code null} when it may be sent. */
  public static Refusal refusal(String headerName) {
    String name = headerName.toLowerCase(Locale.ROOT);
    if (METHOD_OVERRIDE.contains(name)) {
      return new Refusal("method-override", "the " + headerName + " header asks the upstream for another method than"
          + " the one judged; send the request with its real method instead");
    }
    if (IMPERSONATION.contains(name)) {
      return new Refusal("impersonation", "the " + headerName + " header would make the service principal act as"
          + " another user, which no route allows; send the request without it");
    }
    return null;
  }
}
