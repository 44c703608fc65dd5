package dev.spgateway.cli;

import dev.spgateway.config.ConfigException;
import dev.spgateway.config.ConfigLoader;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Runs the gateway against real Azure: reads the service principals' secrets from Key Vault, "
        + "then forwards callers' requests to Graph and Dataverse until stopped (SIGTERM or Ctrl-C). "
        + "Re-reads the config on SIGHUP and when the file changes; a broken or restart-only change is refused.")
final class ServeCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "the gateway's YAML config")
  Path config;

  @Option(names = "--watch", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "re-read the config when its file changes (default: ${DEFAULT-VALUE}); SIGHUP always re-reads it")
  boolean watch;

  @Override
  public Integer call() throws InterruptedException {
    ConfigLoader loader = ConfigLoader.withSystemEnvironment();
    ConfigLoader.Loaded loaded;
    try {
      loaded = loader.loadFile(config);
    } catch (ConfigException e) {
      spec.commandLine().getErr().println(e.getMessage());
      return Main.BAD_CONFIG;
    }
    return Runner.runUntilStopped(spec, vertx -> Runner.startGateway(vertx, config, loader, loaded, watch));
  }
}
