package dev.spgateway.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code sp-gateway} command. */
@Command(
    name = "sp-gateway",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Lets flows and scripts call Microsoft Graph and Dataverse as a service principal, "
        + "without ever holding its secret.",
    subcommands = {ServeCommand.class, CheckCommand.class, HashKeyCommand.class, SandboxCommand.class,
        AuditCommand.class, ConnectorCommand.class})
public final class Main {

  /** Exit code for a config the gateway refuses. */
  static final int BAD_CONFIG = 1;
  /** Exit code for a start that failed for another reason (Key Vault, ports). */
  static final int START_FAILED = 3;

  /** Returned by commands that started servers: Vert.x's threads keep the process up until SIGTERM. */
  static final int KEEP_RUNNING = -1;

  public static void main(String[] args) {
    int exitCode = commandLine().execute(args);
    if (exitCode != KEEP_RUNNING) System.exit(exitCode);
  }

  static CommandLine commandLine() {
    return new CommandLine(new Main());
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Main.class.getPackage().getImplementationVersion();
      return new String[] {"sp-gateway " + (version == null ? "(development build)" : version)};
    }
  }
}
