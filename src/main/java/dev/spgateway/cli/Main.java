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
        AuditCommand.class})
public final class Main {

  // Exit codes: each means one thing, whichever command returns it, so a script can tell them apart.
  /** The config (or a file it names) is refused; the problems are printed. */
  static final int BAD_CONFIG = 1;
  /** The answer is no: {@code check} denies the request, {@code audit verify} finds the chain broken. */
  static final int NO = 2;
  /** A start that failed for another reason (Key Vault, ports). */
  static final int START_FAILED = 3;
  /** The command line itself is wrong: an unknown option, caller or filter (sysexits' EX_USAGE). */
  static final int USAGE = 64;
  /** An unexpected failure: a bug, with its stack trace (sysexits' EX_SOFTWARE). */
  static final int BUG = 70;

  /** Returned by commands that started servers: Vert.x's threads keep the process up until SIGTERM. */
  static final int KEEP_RUNNING = -1;

  /** The process's standard output as picocli writes it; commands that stream bytes write past it (see {@link #bytes}). */
  private static java.io.PrintWriter stdout;

  public static void main(String[] args) {
    CommandLine commandLine = commandLine();
    stdout = commandLine.getOut();
    commandLine.setOut(stdout); // one writer for every subcommand, so they can be told from a test's
    int exitCode = commandLine.execute(args);
    if (exitCode != KEEP_RUNNING) System.exit(exitCode);
  }

  /**
   * Where to write bytes that are already text (audit records, UTF-8): the process's standard output
   * itself when {@code out} is it, without decoding and encoding them again; else through {@code out}.
   * Flush it when done; never close it.
   */
  static java.io.OutputStream bytes(java.io.PrintWriter out) {
    if (out == stdout) {
      out.flush();
      return new java.io.BufferedOutputStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), 1 << 20);
    }
    return new java.io.ByteArrayOutputStream() {
      @Override
      public void flush() {
        out.print(toString(java.nio.charset.StandardCharsets.UTF_8));
        out.flush();
        reset();
      }
    };
  }

  static CommandLine commandLine() {
    CommandLine commandLine = new CommandLine(new Main());
    exitCodes(commandLine);
    return commandLine;
  }

  /** Picocli's own defaults (2 for a usage error, 1 for an exception) would collide with "denied" and "bad config". */
  private static void exitCodes(CommandLine commandLine) {
    commandLine.getCommandSpec().exitCodeOnInvalidInput(USAGE).exitCodeOnExecutionException(BUG);
    commandLine.getSubcommands().values().forEach(Main::exitCodes);
  }

  /** The version and commit the build wrote into {@code build.properties} (buildnumber-maven-plugin). */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws java.io.IOException {
      java.util.Properties build = new java.util.Properties();
      try (var in = Main.class.getResourceAsStream("build.properties")) {
        if (in != null) build.load(in);
      }
      String version = build.getProperty("version", "(development build)");
      String commit = build.getProperty("commit", "unknown");
      if (commit.startsWith("${")) commit = "unknown"; // resources copied without filtering (an IDE)
      return new String[] {"sp-gateway " + version + " (commit " + commit + ", built " + build.getProperty("built", "?")
          + ")"};
    }
  }
}
