package dev.spgateway.credential;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;

/**
 * Workload identity federation: the client assertion is a token another issuer (e.g. AKS's service account
 * issuer) projects into a file and replaces before it expires. The file is read for every token request, so a
 * replaced token is used at once, and no token of it is kept in memory.
 */
final class FederatedCredential implements ServicePrincipalCredential {

  private final Vertx vertx;
  private final String name;
  private final ServicePrincipalConfig principal;
  private final TokenClient client;

  FederatedCredential(Vertx vertx, String name, ServicePrincipalConfig principal, TokenClient client) {
    this.vertx = vertx;
    this.name = name;
    this.principal = principal;
    this.client = client;
  }

  @Override
  public Future<AccessToken> token(String scope, Duration timeout) {
    String file = principal.federated().tokenFile();
    return vertx.fileSystem().readFile(file).transform(read -> {
      String assertion = read.succeeded() ? read.result().toString().trim() : "";
      if (assertion.isEmpty()) {
        return Future.failedFuture(TokenException.secretUnavailable(name, principal.clientId(),
            "federated token file '" + file + "' " + (read.succeeded() ? "is empty" : "cannot be read ("
                + read.cause().getClass().getSimpleName() + ")")
            + ": check servicePrincipals." + name + ".federated.tokenFile and the pod's projected volume"));
      }
      return client.requestWithAssertion(name, principal, assertion, scope, timeout);
    });
  }
}
