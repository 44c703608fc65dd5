package dev.spgateway.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.jul.LevelChangePropagator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import java.util.Map;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Sets up Logback: one console appender on standard error, human text or JSON lines, one root level.
 * java.util.logging (Caffeine, the JDK) comes through the jul-to-slf4j bridge; the Azure SDK and Vert.x log
 * through SLF4J themselves. Runs at the first log call ({@link DefaultConfigurator}), then again once the
 * config file's {@code logging} section is known.
 */
public final class Logging {

  /** The MDC key of the request id, where a log line belongs to one request. */
  public static final String REQUEST_ID = "requestId";

  private static final String TEXT_PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSX,UTC} [%thread] %level %logger{0}"
      + "%replace( request %X{" + REQUEST_ID + "}){' request $', ''} - %msg%n";

  /** Libraries that say too much at info; they follow the root level when it is debug or trace. */
  // The Azure SDK logs each failed vault token or read as JSON ERROR lines (one per secret and retry); the gateway
  // says what failed and what to do in one line of its own (KeyVaultSecrets, SecretLoadException), so it is quiet.
  private static final Map<String, Level> QUIET = Map.of(
      "io.netty", Level.WARN,
      "com.azure", Level.OFF,
      "com.microsoft.aad.msal4j", Level.OFF);

  private Logging() {}

  /** Applies {@code config} ({@code SPGW_LOG_*} overrides already applied by the caller, if wanted). */
  public static void apply(LoggingConfig config) {
    apply((LoggerContext) LoggerFactory.getILoggerFactory(), config);
  }

  static void apply(LoggerContext context, LoggingConfig config) {
    context.reset();
    // java.util.logging levels follow Logback's, so disabled JUL calls stay cheap.
    LevelChangePropagator propagator = new LevelChangePropagator();
    propagator.setContext(context);
    propagator.setResetJUL(true);
    propagator.start();
    context.addListener(propagator);
    if (!SLF4JBridgeHandler.isInstalled()) {
      SLF4JBridgeHandler.removeHandlersForRootLogger();
      SLF4JBridgeHandler.install();
    }

    ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
    console.setContext(context);
    console.setName("console");
    console.setTarget("System.err");
    console.setEncoder(config.json(System.console() != null) ? json(context) : text(context));
    console.start();

    Level root = Level.toLevel(config.level(), Level.INFO);
    Logger rootLogger = context.getLogger(Logger.ROOT_LOGGER_NAME);
    rootLogger.setLevel(root);
    rootLogger.addAppender(console);
    if (root.isGreaterOrEqual(Level.INFO)) QUIET.forEach((name, level) -> context.getLogger(name).setLevel(level));
    // Vert.x 5.0.10 closes a server's event loop before its socket (NetServerImpl.doShutdown: "THIS CAN BE RACY"):
    // a connection accepted in that instant is closed, and Netty warns with a stack trace. Expected while stopping.
    context.getLogger("io.netty.bootstrap.ServerBootstrap").setLevel(Level.ERROR);
  }

  private static Encoder<ILoggingEvent> text(LoggerContext context) {
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern(TEXT_PATTERN);
    encoder.start();
    return encoder;
  }

  /** One object per line: timestamp (epoch ms), level, threadName, loggerName, mdc (requestId), formattedMessage, throwable. */
  private static Encoder<ILoggingEvent> json(LoggerContext context) {
    JsonEncoder encoder = new JsonEncoder();
    encoder.setContext(context);
    encoder.setWithSequenceNumber(false);
    encoder.setWithNanoseconds(false);
    encoder.setWithContext(false);
    encoder.setWithArguments(false);
    encoder.setWithMessage(false);
    encoder.setWithFormattedMessage(true);
    encoder.start();
    return encoder;
  }
}
