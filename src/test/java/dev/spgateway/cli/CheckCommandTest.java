package dev.spgateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code sp-gateway check}: what an operator sees, and the exit codes scripts rely on (0 allowed, 1 bad config, 2 denied, 64 usage). */
class CheckCommandTest {

  static final String EXAMPLE = dev.spgateway.testing.ExampleConfig.file();

  final StringWriter out = new StringWriter();
  final StringWriter err = new StringWriter();

  private int run(String... args) {
    out.getBuffer().setLength(0);
    err.getBuffer().setLength(0);
    CommandLine commandLine = Main.commandLine();
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    return commandLine.execute(args);
  }

  @Test
  void theShippedExampleIsRefusedUntilItsKeysAreReplaced() {
    assertThat(run("check", "--config", dev.spgateway.testing.ExampleConfig.SHIPPED)).isEqualTo(Main.BAD_CONFIG);
    assertThat(err.toString()).contains("callers.invoice-flow.apiKey.sha256", "callers.account-sync-script.apiKey.sha256",
        "hash-key");
  }

  @Test
  void aHashOfAWellKnownWeakKeyIsRefused(@TempDir Path dir) throws Exception {
    String text = dev.spgateway.testing.ExampleConfig.text();
    String[] lines = text.split("\n", -1);
    int replaced = 0;
    for (int i = 0; i < lines.length && replaced < 2; i++) {
      if (lines[i].contains("apiKey: { sha256: ")) {
        String weak = replaced == 0 ? "test" : "";
        lines[i] = lines[i].replaceAll("sha256: [0-9a-f]{64}", "sha256: " + dev.spgateway.identity.ApiKeys.sha256Hex(weak));
        replaced++;
      }
    }
    Path config = Files.writeString(dir.resolve("weak.yaml"), String.join("\n", lines));
    assertThat(run("check", "--config", config.toString())).isEqualTo(Main.BAD_CONFIG);
    assertThat(err.toString())
        .contains("callers.invoice-flow.apiKey.sha256: is the hash of a well-known weak key ('test')")
        .contains("callers.account-sync-script.apiKey.sha256: is the hash of a well-known weak key (the empty key)");
  }

  @Test
  void anAllowedRequestPrintsTheRuleAndWhatIsForwarded() {
    int code = run("check", "--config", EXAMPLE, "--as", "invoice-flow", "GET /graph/V1.0/Users/alice%40contoso.com?$select=id");
    assertThat(code).isZero();
    assertThat(out.toString()).contains("ALLOWED by routes[0].allow[0]", "rule: GET /v1.0/users/{id}",
        "as GET /v1.0/users/alice@contoso.com?$select=id, acting as service principal 'finance'");
  }

  @Test
  void aDeniedRequestPrintsWhyAndTheNearestRules() {
    int code = run("check", "--config", EXAMPLE, "--as", "account-sync-script",
        "DELETE /crm-prod/api/data/v9.2/accounts(00000000-0000-0000-0000-000000000001)");
    assertThat(code).isEqualTo(CheckCommand.DENIED);
    assertThat(out.toString())
        .contains("DENIED (403 route-denied): no rule of caller 'account-sync-script' allows DELETE")
        .contains("nearest rules:", "routes[0].entitySets.accounts.update  PATCH /api/data/v9.2/accounts({id:key})",
            "the path matches, but the rule is for PATCH");
  }

  @Test
  void anAmbiguousTargetIsA400WithTheReason() {
    assertThat(run("check", "--config", EXAMPLE, "--as", "invoice-flow", "GET /graph/v1.0/users/%2e%2e/groups"))
        .isEqualTo(CheckCommand.DENIED);
    assertThat(out.toString()).contains("DENIED (400 bad-target): the path contains an encoded '.' (%2E)");
  }

  @Test
  void theConfigAloneIsValidatedAndBroadRulesAreWarnedAbout() {
    assertThat(run("check", "--config", EXAMPLE)).isZero();
    assertThat(out.toString()).contains("OK (2 service principals, 2 upstreams, 3 callers)",
        "warning: callers.invoice-flow.routes[0].allow[2]: 'GET /v1.0/drives/{drive}/root:/Invoices/**' reaches everything below");
  }

  @Test
  void aBrokenRuleIsABadConfigNamingThePath(@TempDir Path dir) throws Exception {
    Path broken = Files.writeString(dir.resolve("broken.yaml"),
        Files.readString(Path.of(EXAMPLE)).replace("\"GET /api/data/v9.2/WhoAmI\"", "\"POST /api/data/v9.2/$batch\""));
    assertThat(run("check", "--config", broken.toString(), "--as", "invoice-flow", "GET /graph/v1.0/users")).isEqualTo(Main.BAD_CONFIG);
    assertThat(err.toString()).contains("callers.account-sync-script.routes[0].allow[0]",
        "batches are judged per sub-request; allow the sub-requests' routes instead");
  }

  @Test
  void aBatchBodyIsJudgedSubRequestBySubRequest(@TempDir Path dir) throws Exception {
    Path allowed = Files.writeString(dir.resolve("allowed.json"), """
        {"requests":[{"id":"1","method":"GET","url":"/users/alice@contoso.com?$select=id"},
                     {"id":"2","method":"GET","url":"/users/bob@contoso.com"}]}""");
    assertThat(run("check", "--config", EXAMPLE, "--as", "invoice-flow", "--body", allowed.toString(),
        "POST /graph/v1.0/$batch")).isZero();
    assertThat(out.toString()).contains("ALLOWED: all 2 sub-requests, acting as service principal 'finance'",
        "1  GET /v1.0/users/alice@contoso.com  by routes[0].allow[0]");

    Path denied = Files.writeString(dir.resolve("denied.json"), """
        {"requests":[{"id":"1","method":"GET","url":"/users/alice@contoso.com"},
                     {"id":"2","method":"DELETE","url":"/users/bob@contoso.com"}]}""");
    assertThat(run("check", "--config", EXAMPLE, "--as", "invoice-flow", "--body", denied.toString(),
        "POST /graph/v1.0/$batch")).isEqualTo(CheckCommand.DENIED);
    assertThat(out.toString()).contains("DENIED (403 batch-denied)", "'2'");
  }

  /** One run lists a type error, an unknown value, an unknown key and a broken reference, and exits 1. */
  @Test
  void aBrokenFileListsEveryProblemInOneRun(@TempDir Path dir) throws Exception {
    String example = Files.readString(Path.of(EXAMPLE));
    String yaml = example.replaceFirst("kind: graph", "kind: grpah")
        .replaceFirst("perDay: 25000", "perDay: lots")
        .replaceFirst("as: finance", "as: finanse") + "\ncolours: [ red ]\n";
    assertThat(yaml).isNotEqualTo(example);
    Path broken = Files.writeString(dir.resolve("broken.yaml"), yaml);
    assertThat(run("check", "--config", broken.toString())).isEqualTo(Main.BAD_CONFIG);
    assertThat(err.toString()).startsWith(broken + ": 4 problems")
        .contains("upstreams.graph.kind: 'grpah' is not one of: graph, dataverse")
        .contains("colours: unknown key; expected one of: admin, audit,")
        .contains(".perDay: 'lots' is not a whole number")
        .contains("unknown service principal 'finanse'; known: ");
    assertThat(out.toString()).isEmpty();
  }

  /** 0 allowed, 2 denied, 1 bad config, 64 a command line that asks the wrong thing: a typo is never a denial. */
  @Test
  void eachExitCodeMeansOneThing(@TempDir Path dir) throws Exception {
    String request = "GET /graph/v1.0/users/alice@contoso.com";
    assertThat(run("check", "--config", EXAMPLE, "--as", "invoice-flow", request)).isEqualTo(0);
    assertThat(run("check", "--config", EXAMPLE, "--as", "invoice-flow", "DELETE /graph/v1.0/users/alice")).isEqualTo(2);
    Path missing = dir.resolve("missing.yaml");
    assertThat(run("check", "--config", missing.toString(), "--as", "invoice-flow", request)).isEqualTo(1);
    assertThat(err.toString()).contains("file not found");

    assertThat(run("check", "--config", EXAMPLE, "--as", "invoice-flwo", request)).isEqualTo(Main.USAGE);
    assertThat(err.toString()).contains("no caller 'invoice-flwo'", "known: account-sync-script, invoice-flow");
    assertThat(run("check", "--config", EXAMPLE, "--as", "invoice-flow")).isEqualTo(Main.USAGE);
    assertThat(run("check", "--config", EXAMPLE, "--as", "invoice-flow", "/graph/v1.0/users")).isEqualTo(Main.USAGE);
    assertThat(run("check", "--config", EXAMPLE, "--as", "invoice-flow", "--body", missing.toString(), request))
        .isEqualTo(Main.USAGE);
    assertThat(run("check", "--config", EXAMPLE, "--as", "invoice-flow", "--colour", "blue", request))
        .isEqualTo(Main.USAGE);
    assertThat(out.toString()).doesNotContain("DENIED:");
  }

  @Test
  void aBatchWithoutItsBodyCannotBeJudged() {
    assertThat(run("check", "--config", EXAMPLE, "--as", "invoice-flow", "POST /graph/v1.0/$batch"))
        .isEqualTo(CheckCommand.DENIED);
    assertThat(out.toString()).contains("give the batch body with --body FILE");
  }
}
