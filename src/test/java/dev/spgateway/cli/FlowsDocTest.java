package dev.spgateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spgateway.config.ConfigLoader;
import dev.spgateway.config.GatewayConfig;
import dev.spgateway.policy.Decision;
import dev.spgateway.policy.PolicyEngine;
import dev.spgateway.policy.PolicyRequest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import dev.spgateway.testing.ExampleConfig;
import picocli.CommandLine;

/** docs/FLOWS.md's snippets: the JSON parses, its URLs are allowed by the example config, its command runs. */
class FlowsDocTest {

  static final Pattern BLOCK = Pattern.compile("(?:<!-- caller: ([a-z-]+) -->\\n)?```(json|sh)\\n(.*?)```", Pattern.DOTALL);
  static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void everyHttpActionParsesAndIsAllowedForItsCaller() throws Exception {
    GatewayConfig config = ConfigLoader.withSystemEnvironment().load(Path.of(ExampleConfig.file()));
    String base = config.listener().publicBaseUrl().toString();
    PolicyEngine policy = new PolicyEngine(config.routes(), config.upstreams());
    Matcher block = BLOCK.matcher(Files.readString(Path.of("docs/FLOWS.md")));
    List<String> checked = new ArrayList<>();
    while (block.find()) {
      if (!block.group(2).equals("json")) continue;
      JsonNode action = JSON.readTree(block.group(3));
      JsonNode inputs = action.get("inputs");
      assertThat(block.group(1)).as("a caller is named above %s", block.group(3)).isNotNull();
      String uri = inputs.get("uri").asText();
      assertThat(uri).startsWith(base + "/");
      String target = uri.substring(base.length());
      int slash = target.indexOf('/', 1);
      Decision decision = policy.decide(block.group(1), new PolicyRequest(inputs.get("method").asText(), target.substring(1, slash),
          target.substring(slash), null, 0));
      assertThat(decision).as("%s for %s", uri, block.group(1)).isInstanceOf(Decision.Allow.class);
      assertThat(inputs.get("headers").has("X-Api-Key")).isTrue();
      assertThat(inputs.get("retryPolicy").get("type").asText()).isIn("exponential", "fixed");
      checked.add(uri);
    }
    assertThat(checked).hasSize(2);
  }

  @Test
  void theConnectorCommandRunsAsWritten(@TempDir Path dir) throws Exception {
    Matcher block = BLOCK.matcher(Files.readString(Path.of("docs/FLOWS.md")));
    String command = null;
    while (block.find()) {
      if (block.group(2).equals("sh")) command = block.group(3).lines().filter(l -> l.startsWith("sp-gateway connector")).findFirst()
          .orElse(command);
    }
    assertThat(command).isNotNull();
    List<String> args = new ArrayList<>(List.of(command.substring("sp-gateway ".length()).split(" ")));
    args.set(args.indexOf("--out") + 1, dir.resolve("connector").toString());
    assertThat(args.get(args.indexOf("--config") + 1)).isEqualTo(ExampleConfig.SHIPPED);
    args.set(args.indexOf("--config") + 1, ExampleConfig.file()); // its key placeholders replaced, as an operator would
    CommandLine commandLine = Main.commandLine();
    StringWriter err = new StringWriter();
    commandLine.setOut(new PrintWriter(new StringWriter(), true));
    commandLine.setErr(new PrintWriter(err, true));
    assertThat(commandLine.execute(args.toArray(String[]::new))).as(err.toString()).isZero();
    assertThat(dir.resolve("connector/apiDefinition.swagger.json")).exists();
    assertThat(dir.resolve("connector/apiProperties.json")).exists();
  }
}
