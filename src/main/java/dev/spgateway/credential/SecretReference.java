package dev.spgateway.credential;

public record SecretReference(String keyVault) {}
