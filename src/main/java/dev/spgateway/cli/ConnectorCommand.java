package dev.spgateway.cli;

import dev.spgateway.config.ConfigException;
import dev.spgateway.config.ConfigLoader;
import dev.spgateway.config.GatewayConfig;
import dev.spgateway.connector.CustomConnector;
import dev.spgateway.policy.PolicyEngine;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "connector", mixinStandardHelpOptions = true,
    description = {"Writes a Power Platform custom connector for one caller: apiDefinition.swagger.json (Swagger 2.0)",
        "and apiProperties.json, the layout `paconn create` and the maker portal import. One operation per allow rule;",
        "the connection asks for the caller's X-Api-Key. The same config gives the same files; nothing secret is written.",
        "Exit codes: 0 written, 1 bad config, 64 usage error (an unknown caller, a --host with a scheme or path)."},
    footerHeading = "%nExamples:%n",
    footer = {"  sp-gateway connector --config gateway.yaml --caller account-sync-script --host gateway.contoso.com --out connector",
        "  paconn create --api-def connector/apiDefinition.swagger.json --api-prop connector/apiProperties.json -e <environment id>"})
final class ConnectorCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "the gateway's YAML config")
  Path config;

  @Option(names = "--caller", required = true, paramLabel = "CALLER", description = "whose rules become operations")
  String caller;

  @Option(names = "--host", required = true, paramLabel = "HOST",
      description = "the gateway's public host name, as callers reach it: gateway.contoso.com (no https://)")
  String host;

  @Option(names = "--out", paramLabel = "DIR", defaultValue = ".", description = "where to write the files (default: ${DEFAULT-VALUE})")
  Path out;

  @Override
  public Integer call() throws IOException {
    PrintWriter err = spec.commandLine().getErr();
    GatewayConfig loaded;
    try {
      loaded = ConfigLoader.withSystemEnvironment().load(config);
    } catch (ConfigException e) {
      err.println(e.getMessage());
      return Main.BAD_CONFIG;
    }
    if (!loaded.callers().containsKey(caller)) {
      err.println("no caller '" + caller + "' in " + config + "; known: " + String.join(", ", new TreeSet<>(loaded.callers().keySet())));
      return Main.USAGE;
    }
    if (!CustomConnector.isHost(host)) {
      err.println("--host '" + host + "' must be a host name with an optional port, e.g. gateway.contoso.com (no https://, no path)");
      return Main.USAGE;
    }
    java.net.URI publicUrl = loaded.listener().publicBaseUrl();
    if (publicUrl != null && !host.equalsIgnoreCase(publicUrl.getRawAuthority())) {
      // Paging links point at listener.publicBaseUrl; a connector on another host would follow them elsewhere.
      err.println("warning: --host " + host + " is not the host of listener.publicBaseUrl (" + publicUrl
          + "), where the gateway points @odata.nextLink");
    }
    if (publicUrl != null && publicUrl.getRawPath() != null && !publicUrl.getRawPath().isEmpty()
        && !publicUrl.getRawPath().equals("/")) {
      err.println("warning: listener.publicBaseUrl has a path (" + publicUrl.getRawPath() + "); the connector's basePath"
          + " is /, so its operations miss it");
    }
    PolicyEngine policy = new PolicyEngine(loaded.routes(), loaded.upstreams());
    CustomConnector.Files files = CustomConnector.generate(caller, policy.allowedRules(caller), host);
    Files.createDirectories(out);
    Files.writeString(out.resolve("apiDefinition.swagger.json"), files.apiDefinition(), StandardCharsets.UTF_8);
    Files.writeString(out.resolve("apiProperties.json"), files.apiProperties(), StandardCharsets.UTF_8);
    PrintWriter print = spec.commandLine().getOut();
    files.skipped().forEach(skipped -> err.println("skipped " + skipped));
    print.println("wrote " + out.resolve("apiDefinition.swagger.json") + " and " + out.resolve("apiProperties.json"));
    print.println("import: paconn create --api-def " + out.resolve("apiDefinition.swagger.json") + " --api-prop "
        + out.resolve("apiProperties.json") + " -e <environment id>");
    print.flush();
    err.flush();
    return 0;
  }
}
