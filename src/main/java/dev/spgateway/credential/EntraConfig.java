package dev.spgateway.credential;

import dev.spgateway.check.Checks;
import dev.spgateway.check.Problems;
import java.net.URI;

/**
 * The Entra ID authority tokens come from.
 *
 * @param authority {@code https://login.microsoftonline.com}, or a sovereign cloud's
 *     ({@code https://login.microsoftonline.us}), or a local stand-in
 * @param tokens when cached tokens are refreshed and how long a token request may take
 */
public record EntraConfig(URI authority, TokenSettings tokens) {

  public static final URI PUBLIC_CLOUD = URI.create("https://login.microsoftonline.com");

  public EntraConfig {
    if (authority == null) authority = PUBLIC_CLOUD;
    if (tokens == null) tokens = TokenSettings.defaults();
  }

  public static EntraConfig defaults() {
    return new EntraConfig(null, null);
  }

  public void check(String path, Problems problems) {
    Checks.secureUrl(Problems.field(path, "authority"), authority, PUBLIC_CLOUD.toString(), problems);
  }
}
