package dev.spgateway.identity;

import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.RSAPublicKeySpec;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Tokens an attacker could make: signed with keys Entra never published, or with tricks instead of keys. */
final class HandMadeTokens {

  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  private HandMadeTokens() {}

  static KeyPair rsaKey() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }

  static String rs256(JsonObject header, JsonObject claims, PrivateKey key) {
    String input = part(header) + "." + part(claims);
    try {
      Signature rsa = Signature.getInstance("SHA256withRSA");
      rsa.initSign(key);
      rsa.update(input.getBytes(StandardCharsets.US_ASCII));
      return input + "." + B64.encodeToString(rsa.sign());
    } catch (GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }

  /** The classic confusion attack: HS256 with the issuer's public key (PEM text) as the HMAC secret. */
  static String hs256WithPublicKey(JsonObject claims, JsonObject jwk) {
    String input = part(new JsonObject().put("typ", "JWT").put("alg", "HS256").put("kid", jwk.getString("kid")))
        + "." + part(claims);
    try {
      PublicKey key = KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(
          new BigInteger(1, Base64.getUrlDecoder().decode(jwk.getString("n"))),
          new BigInteger(1, Base64.getUrlDecoder().decode(jwk.getString("e")))));
      String pem = "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder().encodeToString(key.getEncoded())
          + "\n-----END PUBLIC KEY-----\n";
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(pem.getBytes(StandardCharsets.US_ASCII), "HmacSHA256"));
      return input + "." + B64.encodeToString(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
    } catch (GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }

  /** {@code alg: none}: header and claims, and an empty signature. */
  static String unsigned(JsonObject claims) {
    return part(new JsonObject().put("typ", "JWT").put("alg", "none")) + "." + part(claims) + ".";
  }

  static String part(JsonObject json) {
    return B64.encodeToString(json.encode().getBytes(StandardCharsets.UTF_8));
  }

  /** A token's parts: header, claims, signature. */
  static String[] parts(String token) {
    return token.split("\\.", -1);
  }
}
