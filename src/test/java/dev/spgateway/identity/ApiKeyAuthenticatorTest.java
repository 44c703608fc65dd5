package dev.spgateway.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ApiKeyAuthenticatorTest {

  @Test
  void findsTheCallerOfAKeyFromItsHashOnly() {
    String key = ApiKeys.generate();
    String other = ApiKeys.generate();
    var authenticator = new ApiKeyAuthenticator(Map.of(
        "invoice-flow", new ApiKeyConfig(ApiKeys.sha256Hex(key).toUpperCase()),
        "report-script", new ApiKeyConfig(ApiKeys.sha256Hex(other))));

    assertThat(authenticator.authenticate(key)).contains(new Caller("invoice-flow", "api-key"));
    assertThat(authenticator.authenticate(other)).contains(new Caller("report-script", "api-key"));
    assertThat(authenticator.authenticate(key + "x")).isEmpty();
    assertThat(authenticator.authenticate(ApiKeys.sha256Hex(key))).as("the hash itself is not a key").isEmpty();
  }

  @Test
  void generatedKeysAreLongAndDistinct() {
    assertThat(ApiKeys.generate()).startsWith("spg_").hasSize(4 + 43).isNotEqualTo(ApiKeys.generate());
  }
}
