package dev.spgateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** What every command shares: the version, exit codes for usage errors, help. */
class MainTest {

  final StringWriter out = new StringWriter();
  final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine commandLine = Main.commandLine();
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    return commandLine.execute(args);
  }

  /** The build writes the version and the commit into a resource; a build that lost them would say "unknown". */
  @Test
  void versionNamesTheReleaseAndTheCommit() {
    assertThat(run("--version")).isZero();
    assertThat(out.toString().trim())
        .matches("sp-gateway \\d+\\.\\d+\\.\\d+(-SNAPSHOT)? \\(commit [0-9a-f]{7}, built "
            + "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z\\)");
  }

  @Test
  void aMistypedCommandLineIsAUsageErrorNotADenialNorABadConfig() {
    assertThat(run("check", "--config", CheckCommandTest.EXAMPLE, "--colour", "blue")).isEqualTo(Main.USAGE).isEqualTo(64);
    assertThat(err.toString()).contains("Unknown option: '--colour'");
    assertThat(run("chek")).isEqualTo(Main.USAGE);
    assertThat(run("check")).isEqualTo(Main.USAGE); // --config is required
  }

  @Test
  void everyOptionOfEveryCommandSaysWhatItDoes() {
    List<String> undescribed = new ArrayList<>();
    collect(Main.commandLine(), undescribed);
    assertThat(undescribed).isEmpty();
  }

  private static void collect(CommandLine command, List<String> undescribed) {
    for (OptionSpec option : command.getCommandSpec().options()) {
      if (option.description().length == 0 || option.description()[0].isBlank()) {
        undescribed.add(command.getCommandSpec().qualifiedName() + " " + option.longestName());
      }
    }
    command.getSubcommands().values().forEach(sub -> collect(sub, undescribed));
  }
}
