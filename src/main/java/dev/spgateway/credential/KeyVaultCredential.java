package dev.spgateway.credential;

import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A credential read from Key Vault (a client secret, or a certificate's key), which operators rotate. The version in
 * use stays in use until a newer one has produced a token: a typo in a new secret costs one refused request, never a
 * caller's call. When Entra ID refuses the version in use ({@code invalid_client}: revoked or expired), the vault is
 * read again at once (at most once a minute, {@link SecretStore#reread}) and a newer version is tried.
 */
abstract class KeyVaultCredential implements ServicePrincipalCredential {

  private static final Logger LOG = LoggerFactory.getLogger(KeyVaultCredential.class);

  protected final String name;
  protected final ServicePrincipalConfig principal;
  private final SecretStore secrets;
  private final String secretName;
  /** The version that last produced a token; null until one has. */
  private volatile SecretVersion inUse;
  /** A newer version Entra ID refused: not tried again until the vault holds yet another. */
  private volatile String refusedVersion;

  KeyVaultCredential(String name, ServicePrincipalConfig principal, SecretStore secrets, String secretName) {
    this.name = name;
    this.principal = principal;
    this.secrets = secrets;
    this.secretName = secretName;
  }

  /** One token request proving the client with this version of the secret. */
  protected abstract Future<AccessToken> request(SecretVersion version, String scope, Duration timeout);

  @Override
  public Future<AccessToken> token(String scope, Duration timeout) {
    SecretVersion latest;
    try {
      latest = secrets.current(secretName);
    } catch (RuntimeException unavailable) {
      return Future.failedFuture(TokenException.secretUnavailable(name, principal.clientId(), unavailable.getMessage()));
    }
    SecretVersion using = inUse;
    if (using == null) {
      return request(latest, scope, timeout).onSuccess(token -> inUse = latest)
          .recover(failure -> afterRefusal(failure, latest, scope, timeout));
    }
    if (!latest.sameAs(using) && !Objects.equals(latest.version(), refusedVersion)) {
      return tryNewer(latest, using, scope, timeout);
    }
    return request(using, scope, timeout).recover(failure -> afterRefusal(failure, using, scope, timeout));
  }

  @Override
  public Optional<Instant> expiresOn() {
    SecretVersion using = inUse;
    if (using == null) {
      try {
        using = secrets.current(secretName);
      } catch (RuntimeException notLoaded) {
        return Optional.empty();
      }
    }
    return Optional.ofNullable(using.expiresOn());
  }

  /** Entra refused the version in use: perhaps it was rotated and revoked. Read the vault again and try a newer one. */
  private Future<AccessToken> afterRefusal(Throwable failure, SecretVersion refused, String scope, Duration timeout) {
    if (!(failure instanceof TokenException token) || !token.invalidClient()) return Future.failedFuture(failure);
    return secrets.reread(secretName).compose(ignored -> {
      SecretVersion latest = secrets.current(secretName);
      if (latest.sameAs(refused)) return Future.failedFuture(failure);
      return request(latest, scope, timeout).onSuccess(fresh -> promote(latest, refused));
    });
  }

  private Future<AccessToken> tryNewer(SecretVersion newer, SecretVersion using, String scope, Duration timeout) {
    return request(newer, scope, timeout).onSuccess(token -> promote(newer, using)).recover(failure -> {
      if (!(failure instanceof TokenException token) || !token.invalidClient()) return Future.failedFuture(failure);
      refusedVersion = newer.version();
      LOG.warn("service principal '{}': Entra ID refused the new version {} of secret '{}' ({}); it keeps signing in "
          + "with version {}: check that the new secret or certificate was added to the app registration",
          name, newer.version(), secretName, token.aadstsCode().orElse(token.outcome()), using.version());
      return request(using, scope, timeout);
    });
  }

  private void promote(SecretVersion newer, SecretVersion older) {
    inUse = newer;
    refusedVersion = null;
    LOG.info("service principal '{}' now signs in with version {} of secret '{}' (was {})",
        name, newer.version(), secretName, older.version());
  }

  /** A client secret. */
  static final class Secret extends KeyVaultCredential {
    private final TokenClient client;

    Secret(String name, ServicePrincipalConfig principal, SecretStore secrets, TokenClient client) {
      super(name, principal, secrets, principal.secret().keyVault());
      this.client = client;
    }

    @Override
    protected Future<AccessToken> request(SecretVersion version, String scope, Duration timeout) {
      return client.request(name, principal, version.value(), scope, timeout);
    }
  }
}
