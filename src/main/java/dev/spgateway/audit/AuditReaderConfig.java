package dev.spgateway.audit;

import dev.spgateway.identity.ApiKeyConfig;

/** Someone allowed to read the audit log over the admin port, by a key of their own (never a caller's). */
public record AuditReaderConfig(String name, ApiKeyConfig apiKey) {}
