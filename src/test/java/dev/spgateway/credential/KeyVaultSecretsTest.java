package dev.spgateway.credential;

import static dev.spgateway.credential.KeyVaultTestIssuer.CLIENT_SECRET;
import static dev.spgateway.credential.KeyVaultTestIssuer.TENANT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.security.keyvault.secrets.SecretAsyncClient;
import dev.spgateway.credential.KeyVaultSecrets.ReadOutcome;
import dev.spgateway.sandbox.BearerVerifier;
import dev.spgateway.sandbox.KeyVaultStandIn;
import dev.spgateway.sandbox.SelfSignedTls;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The real Azure SecretAsyncClient over HTTPS against the Key Vault stand-in, tokens from a real OAuth2 server. */
@ExtendWith(VertxExtension.class)
class KeyVaultSecretsTest {

  private static final String FINANCE = "finance-client-secret";
  private static final String HR = "hr-client-secret";
  private static final String CRM = "crm-client-secret";
  private static final List<String> VALUES = List.of("fin-Value-1a2b", "hr-Value-3c4d", "crm-Value-5e6f");
  // Fast, so failure paths that the SDK retries stay quick.
  private static final KeyVaultClients.Settings FAST =
      new KeyVaultClients.Settings(Duration.ofSeconds(5), 1, Duration.ofMillis(10));

  private static SelfSignedTls tls;
  private static KeyVaultTestIssuer issuer;

  private final MeterRegistry registry = new SimpleMeterRegistry();
  private KeyVaultStandIn vault;

  @BeforeAll
  static void startIssuer() throws Exception {
    tls = SelfSignedTls.generate();
    issuer = new KeyVaultTestIssuer();
  }

  @AfterAll
  static void stopIssuer() {
    issuer.close();
  }

  @BeforeEach
  void startVault(Vertx vertx, VertxTestContext testContext) {
    vault = standIn(vertx, issuer.verifier(vertx, KeyVaultStandIn.RESOURCE));
    vault.start().onComplete(testContext.succeedingThenComplete());
  }

  @AfterEach
  void stopVault(VertxTestContext testContext) {
    vault.close().onComplete(testContext.succeedingThenComplete());
  }

  @Test
  void loadsEverySecretOnceAfterTheChallenge(Vertx vertx, VertxTestContext testContext) {
    load(vertx, client(vertx), List.of(FINANCE, HR, CRM)).onComplete(testContext.succeeding(secrets ->
        testContext.verify(() -> {
          for (int i = 0; i < 10; i++) {
            assertThat(secrets.secret(FINANCE)).isEqualTo(VALUES.get(0));
            assertThat(secrets.secret(HR)).isEqualTo(VALUES.get(1));
            assertThat(secrets.secret(CRM)).isEqualTo(VALUES.get(2));
          }
          assertThat(List.of(vault.reads(FINANCE), vault.reads(HR), vault.reads(CRM))).containsOnly(1);
          // The SDK's first request carries no token; the vault's challenge tells it which token to get.
          assertThat(vault.challenges()).isPositive();
          assertThat(vault.requestCount()).isEqualTo(vault.challenges() + 3);
          assertThat(issuer.issuedTokens()).isNotEmpty();
          assertThat(secrets.names()).containsExactlyInAnyOrder(FINANCE, HR, CRM);
          assertThat(secrets.toString()).doesNotContain(VALUES);
          testContext.completeNow();
        })));
  }

  @Test
  void aSecretNeverLoadedIsAnIllegalStateNamingIt(Vertx vertx, VertxTestContext testContext) {
    load(vertx, client(vertx), List.of(FINANCE)).onComplete(testContext.succeeding(secrets ->
        testContext.verify(() -> {
          assertThatThrownBy(() -> secrets.secret(HR))
              .isInstanceOf(IllegalStateException.class)
              .hasMessageContaining("'" + HR + "'");
          testContext.completeNow();
        })));
  }

  @Test
  void missingSecretNamesTheVaultAndTheSecret(Vertx vertx, VertxTestContext testContext) {
    load(vertx, client(vertx), List.of(FINANCE, "payroll-client-secret")).onComplete(testContext.failing(error ->
        testContext.verify(() -> {
          assertThat(error).isInstanceOf(SecretLoadException.class)
              .hasMessageContaining("secret 'payroll-client-secret' not found in vault " + vault.vaultUrl())
              .hasMessageContaining("create it");
          assertThat(((SecretLoadException) error).failures())
              .extracting(SecretLoadException.Failure::outcome).containsExactly(ReadOutcome.NOT_FOUND);
          assertLeaksNothing(error);
          assertThat(reads(FINANCE, "success")).isEqualTo(1);
          assertThat(reads("payroll-client-secret", "not_found")).isEqualTo(1);
          testContext.completeNow();
        })));
  }

  @Test
  void deniedSecretNamesThePermission(Vertx vertx, VertxTestContext testContext) {
    vault.deny(HR);
    load(vertx, client(vertx), List.of(FINANCE, HR)).onComplete(testContext.failing(error ->
        testContext.verify(() -> {
          assertThat(error).isInstanceOf(SecretLoadException.class)
              .hasMessageContaining("lacks permission to get secret '" + HR + "' in vault " + vault.vaultUrl())
              .hasMessageContaining("(Key Vault said: Forbidden: The user, group or application")
              .hasMessageContaining("does not have secrets get permission")
              .hasMessageContaining("Key Vault Secrets User");
          assertLeaksNothing(error);
          assertThat(reads(HR, "forbidden")).isEqualTo(1);
          testContext.completeNow();
        })));
  }

  @Test
  void closedVaultIsReportedUnreachable(Vertx vertx, VertxTestContext testContext) {
    String vaultUrl = vault.vaultUrl();
    SecretAsyncClient client = client(vertx);
    vault.close()
        .compose(closed -> KeyVaultSecrets.load(vertx, client, vaultUrl, List.of(FINANCE), registry))
        .onComplete(testContext.failing(error -> testContext.verify(() -> {
          assertThat(error).isInstanceOf(SecretLoadException.class)
              .hasMessageContaining("vault " + vaultUrl + " is unreachable when reading secret '" + FINANCE + "'")
              .hasMessageContaining("ConnectException");
          assertThat(reads(FINANCE, "unreachable")).isEqualTo(1);
          testContext.completeNow();
        })));
  }

  @Test
  void vaultCertificateNotTrustedIsReportedUnreachableOverTls(Vertx vertx, VertxTestContext testContext) {
    SecretAsyncClient jvmTrust = client(vertx, Optional.empty(), scope -> issuer.token(vertx, scope));
    load(vertx, jvmTrust, List.of(FINANCE)).onComplete(testContext.failing(error -> testContext.verify(() -> {
      assertThat(error).hasMessageContaining("unreachable over TLS").hasMessageContaining("tls.trustPemFiles");
      assertThat(reads(FINANCE, "unreachable")).isEqualTo(1);
      testContext.completeNow();
    })));
  }

  @Test
  void tokenTheVaultRefusesIsUnauthorized(Vertx vertx, VertxTestContext testContext) {
    // This vault only accepts tokens for another audience, so the gateway's real token is refused.
    KeyVaultStandIn picky = standIn(vertx, issuer.verifier(vertx, "https://graph.microsoft.com"));
    picky.start()
        .compose(started -> KeyVaultSecrets.load(vertx, client(vertx, picky.vaultUrl()), picky.vaultUrl(),
            List.of(FINANCE), registry))
        .eventually(picky::close)
        .onComplete(testContext.failing(error -> testContext.verify(() -> {
          assertThat(error).isInstanceOf(SecretLoadException.class)
              .hasMessageContaining("vault " + picky.vaultUrl() + " refused the gateway's token (unauthorized)")
              .hasMessageContaining("secret '" + FINANCE + "' (Key Vault said: Unauthorized: AKV10032: Invalid token")
              .hasMessageContaining("audience");
          assertThat(issuer.issuedTokens()).isNotEmpty();
          assertLeaksNothing(error);
          assertThat(picky.reads(FINANCE)).isZero();
          assertThat(reads(FINANCE, "unauthorized")).isEqualTo(1);
          testContext.completeNow();
        })));
  }

  @Test
  void credentialThatGetsNoTokenIsUnauthorized(Vertx vertx, VertxTestContext testContext) {
    SecretAsyncClient noToken = client(vertx, Optional.of(tls.clientContext()),
        scope -> Future.failedFuture("Entra ID refused the client credentials: invalid_client (AADSTS7000215)"));
    load(vertx, noToken, List.of(FINANCE)).onComplete(testContext.failing(error -> testContext.verify(() -> {
      assertThat(error).isInstanceOf(SecretLoadException.class)
          .hasMessageContaining("could not get a token for vault " + vault.vaultUrl())
          .hasMessageContaining("AADSTS7000215")
          .hasMessageContaining("check keyVault.credential");
      assertThat(reads(FINANCE, "unauthorized")).isEqualTo(1);
      testContext.completeNow();
    })));
  }

  @Test
  void everyFailureIsReportedInOneMessage(Vertx vertx, VertxTestContext testContext) {
    vault.deny(CRM);
    load(vertx, client(vertx), List.of(FINANCE, "payroll-client-secret", CRM, "legal-client-secret"))
        .onComplete(testContext.failing(error -> testContext.verify(() -> {
          assertThat(error).hasMessageStartingWith("3 secrets could not be read from Key Vault:")
              .hasMessageContaining("'payroll-client-secret'")
              .hasMessageContaining("'legal-client-secret'")
              .hasMessageContaining("'" + CRM + "'")
              .hasMessageNotContaining("'" + FINANCE + "'");
          assertThat(((SecretLoadException) error).failures()).extracting(SecretLoadException.Failure::outcome)
              .containsExactlyInAnyOrder(ReadOutcome.NOT_FOUND, ReadOutcome.FORBIDDEN, ReadOutcome.NOT_FOUND);
          assertLeaksNothing(error);
          testContext.completeNow();
        })));
  }

  @Test
  void completesOnTheCallersEventLoopContext(Vertx vertx, VertxTestContext testContext) {
    SecretAsyncClient client = client(vertx);
    // The SDK itself completes off Vert.x (the JDK HTTP client's threads): load must hand back to the context.
    client.getSecret(FINANCE).toFuture().whenComplete((secret, failure) -> testContext.verify(() -> {
      assertThat(failure).isNull();
      assertThat(Context.isOnVertxThread()).isFalse();
      vertx.runOnContext(onLoop -> {
        Context caller = Vertx.currentContext();
        KeyVaultSecrets.load(vertx, client, vault.vaultUrl(), List.of(FINANCE, HR), registry)
            .onComplete(testContext.succeeding(secrets -> testContext.verify(() -> {
              assertThat(Vertx.currentContext()).isSameAs(caller);
              assertThat(Context.isOnEventLoopThread()).isTrue();
              assertThat(secrets.secret(HR)).isEqualTo(VALUES.get(1));
              testContext.completeNow();
            })));
      });
    }));
  }

  private KeyVaultStandIn standIn(Vertx vertx, BearerVerifier verifier) {
    return new KeyVaultStandIn(vertx, verifier, TENANT, tls)
        .putSecret(FINANCE, VALUES.get(0))
        .putSecret(HR, VALUES.get(1))
        .putSecret(CRM, VALUES.get(2));
  }

  private SecretAsyncClient client(Vertx vertx) {
    return client(vertx, vault.vaultUrl());
  }

  private SecretAsyncClient client(Vertx vertx, String vaultUrl) {
    return KeyVaultClients.secretClient(URI.create(vaultUrl),
        new KeyVaultTokenCredential(vertx.getOrCreateContext(), scope -> issuer.token(vertx, scope)),
        Optional.of(tls.clientContext()), FAST);
  }

  private SecretAsyncClient client(Vertx vertx, Optional<SSLContext> trust,
      Function<String, Future<AccessToken>> tokens) {
    return KeyVaultClients.secretClient(URI.create(vault.vaultUrl()),
        new KeyVaultTokenCredential(vertx.getOrCreateContext(), tokens), trust, FAST);
  }

  private Future<KeyVaultSecrets> load(Vertx vertx, SecretAsyncClient client, List<String> names) {
    return KeyVaultSecrets.load(vertx, client, vault.vaultUrl(), names, registry);
  }

  private double reads(String secret, String outcome) {
    return registry.get(KeyVaultSecrets.READS_METER).tags("secret", secret, "outcome", outcome).counter().count();
  }

  private static void assertLeaksNothing(Throwable error) {
    assertThat(error.getMessage()).doesNotContain(VALUES).doesNotContain(CLIENT_SECRET);
    for (String token : issuer.issuedTokens()) {
      assertThat(error.getMessage()).doesNotContain(token);
    }
  }
}
