package dev.spgateway.credential;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class TokenSettingsTest {

  static final Instant RECEIVED = Instant.parse("2026-11-22T10:00:00Z");
  final ObjectMapper yaml = new ObjectMapper(new YAMLFactory()).registerModule(new JavaTimeModule());

  @Test
  void anHourLongTokenIsRenewedFiveMinutesBeforeItExpires() {
    assertThat(TokenSettings.defaults().refreshAt(RECEIVED, RECEIVED.plus(Duration.ofMinutes(60))))
        .isEqualTo(RECEIVED.plus(Duration.ofMinutes(55)));
  }

  @Test
  void aShortLivedTokenIsRenewedAtHalfItsLife() {
    assertThat(TokenSettings.defaults().refreshAt(RECEIVED, RECEIVED.plus(Duration.ofMinutes(6))))
        .isEqualTo(RECEIVED.plus(Duration.ofMinutes(3)));
  }

  @Test
  void bindsFromYamlWithDefaultsForWhatIsLeftOut() throws Exception {
    TokenSettings settings = yaml.readValue("requestTimeout: PT3S", TokenSettings.class);

    assertThat(settings).isEqualTo(new TokenSettings(TokenSettings.DEFAULT_REFRESH_AHEAD, Duration.ofSeconds(3)));
    assertThat(yaml.readValue("{}", TokenSettings.class)).isEqualTo(TokenSettings.defaults());
  }

  @Test
  void rejectsATimeoutThatIsNotPositive() {
    assertThatThrownBy(() -> new TokenSettings(null, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("requestTimeout");
  }

  @Test
  void servicePrincipalBindsFromTheConfigShape() throws Exception {
    ServicePrincipalConfig finance = yaml.readValue("""
        tenant: 72f988bf-0000-0000-0000-2d7cd011db47
        clientId: 1b4c0000-0000-0000-0000-00000000a11c
        secret: { keyVault: finance-client-secret }
        """, ServicePrincipalConfig.class);

    assertThat(finance).isEqualTo(new ServicePrincipalConfig("72f988bf-0000-0000-0000-2d7cd011db47",
        "1b4c0000-0000-0000-0000-00000000a11c", new SecretReference("finance-client-secret")));
  }
}
