package dev.spgateway.credential;

import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.azure.core.exception.ClientAuthenticationException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.ZoneOffset;
import java.util.function.Function;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Lets the Azure SDK ask the gateway's own token machinery (a Vert.x {@link Future}) for the vault token, e.g.
 * {@code new KeyVaultTokenCredential(context, scope -> tokens.token("key-vault", scope))} for the client-secret
 * form of {@link KeyVaultConfig.Credential}.
 */
public final class KeyVaultTokenCredential implements TokenCredential {

  private final Context context;
  private final Function<String, Future<AccessToken>> tokenForScope;

  /**
   * @param context where {@code tokenForScope} runs: the SDK calls from its own threads, and Vert.x code
   *     expects to be called on its context
   * @param tokenForScope a token for a space-separated scope, {@code https://vault.azure.net/.default}
   */
  public KeyVaultTokenCredential(Context context, Function<String, Future<AccessToken>> tokenForScope) {
    this.context = context;
    this.tokenForScope = tokenForScope;
  }

  @Override
  public Mono<com.azure.core.credential.AccessToken> getToken(TokenRequestContext request) {
    String scope = String.join(" ", request.getScopes());
    return Mono.defer(() -> {
          Promise<AccessToken> token = Promise.promise();
          context.runOnContext(ignored -> {
            try {
              tokenForScope.apply(scope).onComplete(token);
            } catch (RuntimeException e) {
              token.fail(e);
            }
          });
          return Mono.fromCompletionStage(token.future().toCompletionStage());
        })
        // Off the event loop again: the SDK sends the request and runs its policies on whatever thread
        // hands it the token.
        .publishOn(Schedulers.boundedElastic())
        .map(token -> new com.azure.core.credential.AccessToken(
            token.value(), token.expiresAt().atOffset(ZoneOffset.UTC)))
        // The SDK reports ClientAuthenticationException as "could not authenticate"; keep the cause's words.
        .onErrorMap(error -> !(error instanceof ClientAuthenticationException),
            error -> new ClientAuthenticationException(
                "could not get a token for " + scope + ": " + error.getMessage(), null, error));
  }
}
