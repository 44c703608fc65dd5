package dev.spgateway.credential;

/**
 * An Entra ID app registration the gateway acts as.
 *
 * <p>{@code secret} is an object rather than a bare name so that a sibling {@code certificate}
 * reference can be added later without changing the YAML shape of existing configs.
 *
 * @param tenant the directory (tenant) id or domain the app lives in
 * @param clientId the application (client) id
 * @param secret where the client secret is kept
 */
public record ServicePrincipalConfig(String tenant, String clientId, SecretReference secret) {}
