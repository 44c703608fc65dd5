package dev.spgateway.identity;

import dev.spgateway.check.Checks;
import dev.spgateway.check.Problems;
import java.net.URI;
import java.util.List;
import java.util.Locale;

/**
 * Which Entra ID access tokens the gateway accepts from callers: those that accepted tenants issued for one
 * of the gateway's own audiences. The authority (public or sovereign cloud) is {@code entra.authority}.
 *
 * @param tenants tenant ids whose tokens are accepted
 * @param audiences the gateway's app registration: its application ID URI ({@code api://sp-gateway}, what v1
 *     tokens carry) and its client id (what v2 tokens carry)
 * @param v1Issuer where v1 tokens say they come from, before the tenant id; default {@code https://sts.windows.net}
 *     ({@code https://sts.chinacloudapi.cn} for Azure China)
 */
public record EntraTokenConfig(List<String> tenants, List<String> audiences, URI v1Issuer) {

  public static final URI PUBLIC_V1_ISSUER = URI.create("https://sts.windows.net");

  public EntraTokenConfig {
    tenants = tenants == null ? List.of() : tenants.stream().map(t -> t == null ? null : t.toLowerCase(Locale.ROOT)).toList();
    audiences = audiences == null ? List.of() : List.copyOf(audiences);
    if (v1Issuer == null) v1Issuer = PUBLIC_V1_ISSUER;
  }

  public void check(String path, Problems problems) {
    if (tenants.isEmpty()) {
      problems.add(Problems.field(path, "tenants"), "is empty; list the tenant ids whose tokens are accepted"
          + " (`az account show --query tenantId`)");
    }
    for (int i = 0; i < tenants.size(); i++) {
      String tenant = tenants.get(i);
      if (tenant == null || !Checks.GUID.matcher(tenant).matches()) {
        problems.add(Problems.index(Problems.field(path, "tenants"), i), "'" + tenant + "' is not a tenant id (a GUID;"
            + " `common` and domain names are not accepted: tokens name their tenant by id)");
      }
    }
    if (audiences.isEmpty()) {
      problems.add(Problems.field(path, "audiences"), "is empty; list the gateway app registration's application"
          + " ID URI (e.g. api://sp-gateway) and its client id");
    }
    for (int i = 0; i < audiences.size(); i++) {
      String audience = audiences.get(i);
      if (audience == null || audience.isBlank()) {
        problems.add(Problems.index(Problems.field(path, "audiences"), i), "is empty; give an application ID URI or client id");
      }
    }
    Checks.secureUrl(Problems.field(path, "v1Issuer"), v1Issuer, PUBLIC_V1_ISSUER.toString(), problems);
  }
}
