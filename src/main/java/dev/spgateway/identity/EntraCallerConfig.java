package dev.spgateway.identity;

import dev.spgateway.check.Checks;
import dev.spgateway.check.Problems;
import java.util.List;

/**
 * A caller's Entra ID identity: the token it sends must come from this application ({@code azp}/{@code appid})
 * and/or this identity ({@code oid}: a managed identity, a service principal or a user), and carry these app
 * roles ({@code roles}), so that operators grant access with an app role assignment in Entra ID.
 *
 * @param appId the calling app registration's or managed identity's application (client) id
 * @param objectId the calling identity's object id (for a user signed in with {@code az login}, the user's)
 * @param roles app roles of the gateway's app registration the token must all carry; empty: none needed
 */
public record EntraCallerConfig(String appId, String objectId, List<String> roles) {

  public EntraCallerConfig {
    roles = roles == null ? List.of() : List.copyOf(roles);
  }

  public void check(String path, Problems problems) {
    if (appId == null && objectId == null) {
      problems.add(path, "give appId (the calling app's or managed identity's client id), objectId, or both");
    }
    guid(Problems.field(path, "appId"), appId, problems);
    guid(Problems.field(path, "objectId"), objectId, problems);
    for (int i = 0; i < roles.size(); i++) {
      String role = roles.get(i);
      if (role == null || role.isBlank() || role.contains(" ")) {
        problems.add(Problems.index(Problems.field(path, "roles"), i),
            "must be an app role's value as in the app registration (e.g. Gateway.Call), without spaces");
      }
    }
  }

  private static void guid(String path, String value, Problems problems) {
    if (value != null && !Checks.GUID.matcher(value).matches()) {
      problems.add(path, "'" + value + "' is not a GUID; copy it from the Entra ID portal (Enterprise applications)"
          + " or `az ad sp show --id NAME --query \"{appId:appId, objectId:id}\"`");
    }
  }
}
