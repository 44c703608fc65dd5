package dev.spgateway.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

class LoggingTest {

  @Test
  void jsonLinesCarryTimeLevelLoggerMessageAndTheRequestId() {
    List<String> lines = logged(new LoggingConfig("info", "json"), context -> {
      try (var id = MDC.putCloseable(Logging.REQUEST_ID, "0f4c2a")) {
        context.getLogger("dev.spgateway.gateway.Failures").error("Request failed unexpectedly: {}", "boom \"quoted\"");
      }
      context.getLogger("dev.spgateway.gateway.Gateway").info("sp-gateway stopped");
      context.getLogger("dev.spgateway.gateway.Gateway").debug("not at info");
    });
    assertThat(lines).hasSize(2);
    JsonObject failure = new JsonObject(lines.get(0));
    assertThat(failure.getLong("timestamp")).isPositive();
    assertThat(failure.getString("level")).isEqualTo("ERROR");
    assertThat(failure.getString("loggerName")).isEqualTo("dev.spgateway.gateway.Failures");
    assertThat(failure.getString("formattedMessage")).isEqualTo("Request failed unexpectedly: boom \"quoted\"");
    assertThat(failure.getJsonObject("mdc").getString("requestId")).isEqualTo("0f4c2a");
    assertThat(new JsonObject(lines.get(1)).getString("formattedMessage")).isEqualTo("sp-gateway stopped");
  }

  @Test
  void textLinesNameTheRequestWhenKnown() {
    List<String> lines = logged(new LoggingConfig("warn", "text"), context -> {
      try (var id = MDC.putCloseable(Logging.REQUEST_ID, "0f4c2a")) {
        context.getLogger("x.Failures").warn("with an id");
      }
      context.getLogger("x.Gateway").warn("without");
      context.getLogger("x.Gateway").info("below the level");
    });
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0)).contains(" WARN Failures request 0f4c2a - with an id");
    assertThat(lines.get(1)).contains(" WARN Gateway - without");
  }

  @Test
  void javaUtilLoggingComesThroughTheSameAppender() {
    List<String> lines = logged(new LoggingConfig("info", "json"), context ->
        java.util.logging.Logger.getLogger("com.github.benmanes.caffeine.cache.LocalAsyncCache")
            .log(Level.WARNING, "Exception thrown during asynchronous load"));
    assertThat(lines).singleElement().satisfies(line -> {
      JsonObject event = new JsonObject(line);
      assertThat(event.getString("level")).isEqualTo("WARN");
      assertThat(event.getString("loggerName")).isEqualTo("com.github.benmanes.caffeine.cache.LocalAsyncCache");
    });
  }

  @Test
  void theEnvironmentOverridesTheFileAndBadValuesAreNamed() {
    var fromFile = new LoggingConfig("debug", "text");
    assertThat(fromFile.withEnvironment(Map.of("SPGW_LOG_FORMAT", "json")::get))
        .isEqualTo(new LoggingConfig("debug", "json"));
    assertThat(LoggingConfig.defaults()).isEqualTo(new LoggingConfig("info", "auto"));

    List<String> problems = new ArrayList<>();
    new LoggingConfig("verbose", "xml").check("logging", (path, message) -> problems.add(path + ": " + message));
    assertThat(problems).containsExactly(
        "logging.level: 'verbose' is not a log level; use one of [error, warn, info, debug, trace]",
        "logging.format: 'xml' is not a log format; use one of [auto, text, json]");
  }

  /** What {@code config} writes to standard error while {@code logging} runs, line by line. */
  private static List<String> logged(LoggingConfig config, java.util.function.Consumer<LoggerContext> logging) {
    LoggerContext context = (LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory();
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      Logging.apply(context, config);
      logging.accept(context);
    } finally {
      System.setErr(err);
      Logging.apply(context, LoggingConfig.defaults().withEnvironment(System::getenv));
    }
    return captured.toString(StandardCharsets.UTF_8).lines().toList();
  }
}
