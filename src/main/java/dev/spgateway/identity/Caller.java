package dev.spgateway.identity;

/**
 * Who is calling.
 *
 * @param name the caller's name in the config
 * @param authentication how it proved it: {@code api-key}, {@code entra}, or {@code api-key+entra} (both sent,
 *     both naming this caller)
 * @param appId for Entra ID tokens: the calling application's id ({@code azp}/{@code appid}), else null
 * @param objectId for Entra ID tokens: the calling identity's object id ({@code oid}), else null
 */
public record Caller(String name, String authentication, String appId, String objectId) {

  public static final String API_KEY = "api-key";
  public static final String ENTRA = "entra";

  /** A caller that proved itself with an API key. */
  public Caller(String name, String authentication) {
    this(name, authentication, null, null);
  }

  /** The same caller, proved by both an API key and an Entra ID token. */
  public Caller withApiKeyToo() {
    return new Caller(name, API_KEY + "+" + ENTRA, appId, objectId);
  }
}
