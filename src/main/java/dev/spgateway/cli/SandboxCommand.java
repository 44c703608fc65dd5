package dev.spgateway.cli;

import dev.spgateway.gateway.LiveConfig;
import dev.spgateway.identity.ApiKeys;
import dev.spgateway.sandbox.Sandbox;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "sandbox", mixinStandardHelpOptions = true,
    description = "Runs the gateway with local stand-ins for Entra ID, Key Vault, Graph and Dataverse, and prints "
        + "ready-to-paste curl lines. No Azure tenant needed; nothing leaves this machine.")
final class SandboxCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--config", paramLabel = "FILE", defaultValue = "config/sandbox.yaml",
      description = "the sandbox's config template (default: ${DEFAULT-VALUE})")
  Path config;

  @Option(names = "--port", defaultValue = "8080", description = "the gateway's port (default: ${DEFAULT-VALUE})")
  int port;

  @Option(names = "--admin-port", defaultValue = "9090", description = "health and metrics (default: ${DEFAULT-VALUE})")
  int adminPort;

  @Option(names = "--watch", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "re-read the config when its file changes (default: ${DEFAULT-VALUE}); SIGHUP always re-reads it")
  boolean watch;

  @Override
  public Integer call() throws IOException, InterruptedException {
    Path workDir = Files.createTempDirectory("sp-gateway-sandbox");
    Sandbox[] started = new Sandbox[1];
    int exit = Runner.runUntilStopped(spec, vertx -> Sandbox.start(vertx, config, port, adminPort, workDir, watch)
        .onSuccess(sandbox -> started[0] = sandbox)
        .map(sandbox -> new Runner.Running() {
          @Override
          public io.vertx.core.Future<Void> close() {
            return sandbox.close();
          }

          @Override
          public void reload() {
            sandbox.reload(LiveConfig.SIGNAL);
          }
        }));
    if (exit == Main.KEEP_RUNNING) explain(started[0], spec.commandLine().getOut());
    return exit;
  }

  private void explain(Sandbox sandbox, PrintWriter out) {
    String gateway = "http://127.0.0.1:" + sandbox.gateway().port();
    String key = "-H '" + ApiKeys.HEADER + ": " + sandbox.callerKey() + "'";
    out.println();
    out.println("sp-gateway sandbox is running. Ctrl-C stops it.");
    out.println("  gateway    " + gateway + "   (caller 'invoice-flow', acting as service principal 'finance')");
    out.println("  admin      http://127.0.0.1:" + sandbox.gateway().adminPort() + "/metrics  /health/ready");
    sandbox.standIns().forEach((name, url) -> out.printf("  stand-in   %-10s %s%n", name, url));
    out.println("  audit log  " + sandbox.auditFile());
    out.println();
    out.println("Caller key: " + sandbox.callerKey());
    out.println();
    out.println("Allowed: read a user from Graph (the gateway fetches the token, the stand-in checks it):");
    out.println("  curl -i " + key + " " + gateway + "/graph/v1.0/users/" + sandbox.exampleUserId());
    out.println("Allowed: list accounts in Dataverse:");
    out.println("  curl -i " + key + " '" + gateway + "/crm/api/data/v9.2/accounts?$select=name'");
    out.println("Denied (403, never forwarded): delete a user, which no route allows:");
    out.println("  curl -i -X DELETE " + key + " " + gateway + "/graph/v1.0/users/" + sandbox.exampleUserId());
    out.println("Unauthenticated (401):");
    out.println("  curl -i " + gateway + "/graph/v1.0/users/" + sandbox.exampleUserId());
    out.println();
    out.println("Scripts need no key: they send their own Entra ID token (issued for " + Sandbox.GATEWAY_AUDIENCE + ").");
    sandbox.scriptTokenSequence().forEach(line -> out.println(line.startsWith("#") ? line : "  " + line));
    out.println();
    out.println("Then see who did what: tail " + sandbox.auditFile());
    out.flush();
  }
}
