package dev.spgateway.credential;

import java.net.URI;

public record KeyVaultConfig(URI url) {}
