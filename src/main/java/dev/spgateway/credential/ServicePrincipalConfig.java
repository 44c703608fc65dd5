package dev.spgateway.credential;

public record ServicePrincipalConfig(String tenant, String clientId, SecretReference secret) {}
