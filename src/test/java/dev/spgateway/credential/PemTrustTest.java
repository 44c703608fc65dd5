package dev.spgateway.credential;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spgateway.sandbox.SelfSignedTls;
import java.util.List;
import org.junit.jupiter.api.Test;

class PemTrustTest {

  @Test
  void acceptsSeveralCertificatesAndBundles() {
    String first = SelfSignedTls.generate().certificatePem();
    String second = SelfSignedTls.generate().certificatePem();

    assertThat(PemTrust.sslContext(List.of(first, second))).isNotNull();
    assertThat(PemTrust.sslContext(List.of(first + second))).isNotNull();
  }

  @Test
  void refusesAnEntryThatIsNotACertificate() {
    String certificate = SelfSignedTls.generate().certificatePem();

    assertThatThrownBy(() -> PemTrust.sslContext(List.of(certificate, "not a certificate")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("trusted certificate #2 ");
  }

  @Test
  void refusesAnEmptyList() {
    assertThatThrownBy(() -> PemTrust.sslContext(List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least one");
  }
}
