package dev.spgateway.cli;

import dev.spgateway.gateway.LiveConfig;
import dev.spgateway.identity.ApiKeys;
import dev.spgateway.sandbox.Sandbox;
import io.vertx.core.Future;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
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

  @Option(names = "--config", paramLabel = "FILE",
      description = "a config template of your own (default: config/sandbox.yaml, shipped inside the jar)")
  Path config;

  @Option(names = "--host", paramLabel = "ADDRESS", defaultValue = "${env:SPGW_SANDBOX_HOST:-127.0.0.1}",
      description = "the address the gateway and admin ports listen on (default: ${DEFAULT-VALUE}; "
          + "the container image sets 0.0.0.0 through SPGW_SANDBOX_HOST)")
  String host;

  @Option(names = "--port", defaultValue = "8080", description = "the gateway's port; 0 picks a free one "
      + "(default: ${DEFAULT-VALUE})")
  int port;

  @Option(names = "--admin-port", defaultValue = "9090", description = "health and metrics; 0 picks a free one "
      + "(default: ${DEFAULT-VALUE})")
  int adminPort;

  @Option(names = "--work-dir", paramLabel = "DIR", description = "where the audit log and the stand-in vault's "
      + "certificate go, kept after exit (default: a temporary folder, removed on exit)")
  Path workDir;

  @Option(names = "--watch", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "re-read the config when its file changes (default: ${DEFAULT-VALUE}); SIGHUP always re-reads it")
  boolean watch;

  @Override
  public Integer call() throws IOException, InterruptedException {
    boolean temporary = workDir == null;
    Path dir = temporary ? Files.createTempDirectory("sp-gateway-sandbox") : Files.createDirectories(workDir);
    Sandbox[] started = new Sandbox[1];
    int exit = Runner.runUntilStopped(spec, vertx -> Sandbox.start(vertx, config, host, port, adminPort, dir, watch,
            Clock.systemUTC())
        .onSuccess(sandbox -> started[0] = sandbox)
        .map(sandbox -> new Runner.Running() {
          @Override
          public Future<Void> close() {
            return sandbox.close().eventually(() -> temporary
                ? vertx.executeBlocking(() -> TempDirs.delete(dir))
                : Future.succeededFuture());
          }

          @Override
          public void reload() {
            sandbox.reload(LiveConfig.SIGNAL);
          }
        }));
    if (exit == Main.KEEP_RUNNING) explain(started[0], workDir == null, spec.commandLine().getOut());
    else if (temporary) TempDirs.delete(dir);
    return exit;
  }

  /** The banner: addresses, the caller key, and curl lines that work as printed (SandboxCommandTest runs them). */
  /** The banner; {@code temporaryFolder}: the audit log's folder goes when the sandbox stops. */
  static void explain(Sandbox sandbox, boolean temporaryFolder, PrintWriter out) {
    String gateway = "http://127.0.0.1:" + sandbox.gateway().port();
    String admin = "http://127.0.0.1:" + sandbox.gateway().adminPort();
    String key = "-H '" + ApiKeys.HEADER + ": " + sandbox.callerKey() + "'";
    out.println();
    out.println("sp-gateway sandbox is running. Ctrl-C stops it.");
    out.println("  gateway    " + gateway + "   (caller 'invoice-flow', acting as service principal 'finance')");
    out.println("  admin      " + admin + "/metrics  /health/ready");
    sandbox.standIns().forEach((name, url) -> out.printf("  stand-in   %-10s %s%n", name, url));
    out.println("  audit log  " + sandbox.auditFile());
    out.println();
    out.println("Caller key: " + sandbox.callerKey());
    out.println();
    out.println("Allowed: read a user from Graph (the gateway fetches the token, the stand-in checks it):");
    out.println("  curl -i " + key + " " + gateway + "/graph/v1.0/users/" + sandbox.exampleUserId());
    out.println("Allowed: list accounts in Dataverse:");
    out.println("  curl -i " + key + " '" + gateway + "/crm/api/data/v9.2/accounts?$select=name'");
    out.println("Paging: two users a page; the answer's @odata.nextLink points at the gateway, follow it with the same key:");
    out.println("  curl -s " + key + " '" + gateway + "/graph/v1.0/users?$select=id,displayName&$top=2'");
    out.println("Denied (403, never forwarded): delete a user, which no route allows:");
    out.println("  curl -i -X DELETE " + key + " " + gateway + "/graph/v1.0/users/" + sandbox.exampleUserId());
    out.println("Unauthenticated (401):");
    out.println("  curl -i " + gateway + "/graph/v1.0/users/" + sandbox.exampleUserId());
    out.println();
    out.println("Scripts need no key: they send their own Entra ID token (issued for " + Sandbox.GATEWAY_AUDIENCE + ").");
    sandbox.scriptTokenSequence().forEach(line -> out.println(line.startsWith("#") ? line : "  " + line));
    out.println();
    out.println("Then see who did what: tail " + sandbox.auditFile());
    if (temporaryFolder) out.println("(That folder is removed when the sandbox stops; --work-dir DIR keeps one.)");
    out.flush();
  }
}
