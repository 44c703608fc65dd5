package dev.spgateway.sandbox;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Optional;

/**
 * How the Entra ID stand-in judges a {@code client_assertion}, with Entra's AADSTS codes: a certificate credential
 * (header names an uploaded certificate by {@code x5t#S256} or {@code x5t}; signed with its key; audience the token
 * endpoint; issuer and subject the client id) or a federated credential (issuer and subject of a registered
 * federated identity, audience {@value EntraStandIn#FEDERATION_AUDIENCE}, signed with that issuer's key).
 */
final class ClientAssertions {

  private static final Base64.Decoder BASE64URL = Base64.getUrlDecoder();
  private static final Base64.Encoder BASE64URL_ENCODER = Base64.getUrlEncoder().withoutPadding();

  private ClientAssertions() {}

  /** True when accepted; otherwise the error has been sent. */
  static boolean accepted(RoutingContext ctx, EntraStandIn entra, String tenant, EntraStandIn.App app, String assertion) {
    String[] parts = assertion.split("\\.");
    JsonObject header;
    JsonObject claims;
    byte[] signature;
    try {
      if (parts.length != 3) throw new IllegalArgumentException("not three parts");
      header = new JsonObject(new String(BASE64URL.decode(parts[0]), StandardCharsets.UTF_8));
      claims = new JsonObject(new String(BASE64URL.decode(parts[1]), StandardCharsets.UTF_8));
      signature = BASE64URL.decode(parts[2]);
    } catch (IllegalArgumentException | DecodeException malformed) {
      entra.entraError(ctx, 400, "invalid_request", 50027, "JWT token is invalid or malformed.");
      return false;
    }
    if (!"RS256".equals(header.getString("alg"))) {
      entra.entraError(ctx, 400, "invalid_request", 50027, "JWT token is invalid: algorithm must be RS256.");
      return false;
    }
    byte[] signed = (parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII);
    long now = entra.clock().instant().getEpochSecond();
    String sha256 = header.getString("x5t#S256");
    String sha1 = header.getString("x5t");
    if (sha256 != null || sha1 != null) {
      Optional<X509Certificate> certificate = app.certificates.stream()
          .filter(candidate -> thumbprint(candidate, "SHA-256").equals(sha256) || thumbprint(candidate, "SHA-1").equals(sha1))
          .findFirst();
      if (certificate.isEmpty() || !verifies(certificate.get().getPublicKey(), signed, signature)) {
        entra.entraError(ctx, 401, "invalid_client", 700027, "Client assertion failed signature validation. [Reason - "
            + (certificate.isEmpty() ? "The key was not found." : "The signature does not match.")
            + ", Thumbprint of key used by client: '" + (sha256 != null ? sha256 : sha1) + "']");
        return false;
      }
      if (!entra.tokenUrl(tenant).equals(claims.getString("aud"))) {
        entra.entraError(ctx, 401, "invalid_client", 50013, "Assertion audience does not match the token endpoint.");
        return false;
      }
      if (!app.clientId().equals(claims.getString("iss")) || !app.clientId().equals(claims.getString("sub"))) {
        entra.entraError(ctx, 401, "invalid_client", 700021,
            "Client assertion application identifier doesn't match 'client_id' parameter.");
        return false;
      }
      return inTime(ctx, entra, claims, now);
    }
    Optional<EntraStandIn.Federated> federated = app.federated.stream()
        .filter(candidate -> candidate.issuer().equals(claims.getString("iss"))
            && candidate.subject().equals(claims.getString("sub")))
        .findFirst();
    if (federated.isEmpty()) {
      entra.entraError(ctx, 400, "invalid_request", 70021,
          "No matching federated identity record found for presented assertion.");
      return false;
    }
    if (!verifies(federated.get().key(), signed, signature)) {
      entra.entraError(ctx, 401, "invalid_client", 700027, "Client assertion failed signature validation.");
      return false;
    }
    Object audience = claims.getValue("aud");
    boolean audienceOk = EntraStandIn.FEDERATION_AUDIENCE.equals(audience)
        || (audience instanceof JsonArray list && list.contains(EntraStandIn.FEDERATION_AUDIENCE));
    if (!audienceOk) {
      entra.entraError(ctx, 400, "invalid_request", 700212,
          "No matching federated identity record found for presented assertion audience.");
      return false;
    }
    return inTime(ctx, entra, claims, now);
  }

  private static boolean inTime(RoutingContext ctx, EntraStandIn entra, JsonObject claims, long now) {
    Long expires = claims.getLong("exp");
    Long notBefore = claims.getLong("nbf");
    if (expires == null || expires <= now || (notBefore != null && notBefore > now + 300)) {
      entra.entraError(ctx, 401, "invalid_client", 700024, "Client assertion is not within its valid time range.");
      return false;
    }
    return true;
  }

  private static boolean verifies(PublicKey key, byte[] signed, byte[] signature) {
    try {
      Signature rsa = Signature.getInstance("SHA256withRSA");
      rsa.initVerify(key);
      rsa.update(signed);
      return rsa.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static String thumbprint(X509Certificate certificate, String algorithm) {
    try {
      return BASE64URL_ENCODER.encodeToString(MessageDigest.getInstance(algorithm).digest(certificate.getEncoded()));
    } catch (GeneralSecurityException e) {
      return "";
    }
  }
}
