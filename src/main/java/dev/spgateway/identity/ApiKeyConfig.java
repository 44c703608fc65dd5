package dev.spgateway.identity;

/** A caller's API key as the config holds it: only the SHA-256 of the key, in hex. */
public record ApiKeyConfig(String sha256) {}
