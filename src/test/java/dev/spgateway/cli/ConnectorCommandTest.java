package dev.spgateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import dev.spgateway.testing.ExampleConfig;
import picocli.CommandLine;

/** {@code sp-gateway connector}: the two files, the same bytes on every run, and clear refusals. */
class ConnectorCommandTest {

  final StringWriter out = new StringWriter();
  final StringWriter err = new StringWriter();

  int run(String... args) {
    CommandLine commandLine = Main.commandLine();
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    return commandLine.execute(args);
  }

  @Test
  void writesTheSameTwoFilesOnEveryRun(@TempDir Path dir) throws Exception {
    String[] args = {"connector", "--config", ExampleConfig.file(), "--caller", "account-sync-script", "--host",
        "gateway.contoso.com", "--out"};
    assertThat(run(concat(args, dir.resolve("a").toString()))).as(err.toString()).isZero();
    assertThat(run(concat(args, dir.resolve("b").toString()))).isZero();
    for (String file : new String[] {"apiDefinition.swagger.json", "apiProperties.json"}) {
      assertThat(Files.readAllBytes(dir.resolve("b").resolve(file))).isEqualTo(Files.readAllBytes(dir.resolve("a").resolve(file)));
    }
    assertThat(Files.readString(dir.resolve("a/apiDefinition.swagger.json"))).contains("\"CrmProdListAccounts\"");
    assertThat(out.toString()).contains("paconn create");
    assertThat(err.toString()).doesNotContain("warning");
  }

  @Test
  void warnsWhenTheHostIsNotWherePagingLinksPoint(@TempDir Path dir) {
    assertThat(run("connector", "--config", ExampleConfig.file(), "--caller", "invoice-flow", "--host",
        "other.contoso.com", "--out", dir.toString())).isZero();
    assertThat(err.toString()).contains("warning: --host other.contoso.com is not the host of listener.publicBaseUrl");
  }

  @Test
  void refusesAnUnknownCallerAndAHostWithAScheme(@TempDir Path dir) {
    assertThat(run("connector", "--config", ExampleConfig.file(), "--caller", "nobody", "--host", "gw.contoso.com",
        "--out", dir.toString())).isEqualTo(64);
    assertThat(err.toString()).contains("no caller 'nobody'", "invoice-flow");
    assertThat(run("connector", "--config", ExampleConfig.file(), "--caller", "invoice-flow", "--host",
        "https://gw.contoso.com", "--out", dir.toString())).isEqualTo(64);
    assertThat(err.toString()).contains("no https://");
  }

  @Test
  void isListedInHelp() {
    run("--help");
    assertThat(out.toString()).contains("connector");
  }

  private static String[] concat(String[] args, String last) {
    String[] all = java.util.Arrays.copyOf(args, args.length + 1);
    all[args.length] = last;
    return all;
  }
}
