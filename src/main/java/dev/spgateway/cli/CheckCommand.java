package dev.spgateway.cli;

import dev.spgateway.config.ConfigException;
import dev.spgateway.config.ConfigLoader;
import dev.spgateway.config.GatewayConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "check", mixinStandardHelpOptions = true,
    description = "Validates a config file without starting anything; exits non-zero and lists every problem.")
final class CheckCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "the gateway's YAML config")
  Path config;

  @Override
  public Integer call() {
    try {
      GatewayConfig loaded = ConfigLoader.withSystemEnvironment().load(config);
      spec.commandLine().getOut().printf("%s: OK (%d service principals, %d upstreams, %d callers)%n", config,
          loaded.servicePrincipals().size(), loaded.upstreams().size(), loaded.callers().size());
      return 0;
    } catch (ConfigException e) {
      spec.commandLine().getErr().println(e.getMessage());
      return Main.BAD_CONFIG;
    }
  }
}
