package dev.spgateway.logging;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * Logback's first configuration, found through {@code META-INF/services}: the defaults with
 * {@code SPGW_LOG_LEVEL} / {@code SPGW_LOG_FORMAT} applied, so even the lines before the config file is read
 * have the operator's format. No logback.xml: this is the only place logging is set up.
 */
public final class DefaultConfigurator extends ContextAwareBase implements Configurator {

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    LoggingConfig config = LoggingConfig.defaults().withEnvironment(System::getenv);
    var problems = new java.util.ArrayList<String>();
    config.check("environment", (path, message) -> problems.add(path + ": " + message));
    if (!problems.isEmpty()) {
      // Too early to refuse the start; say what is wrong and log as by default.
      System.err.println("sp-gateway: ignoring " + LoggingConfig.LEVEL_ENV + "/" + LoggingConfig.FORMAT_ENV + ": "
          + String.join("; ", problems));
      config = LoggingConfig.defaults();
    }
    Logging.apply(context, config);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }
}
