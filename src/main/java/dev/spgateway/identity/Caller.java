package dev.spgateway.identity;

/**
 * Who is calling.
 *
 * @param name the caller's name in the config
 * @param authentication how it proved it ({@code api-key})
 */
public record Caller(String name, String authentication) {}
