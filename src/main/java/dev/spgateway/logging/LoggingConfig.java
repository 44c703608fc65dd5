package dev.spgateway.logging;

import dev.spgateway.check.Problems;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * How the gateway logs: {@code level} (error, warn, info, debug, trace; default info) and {@code format}:
 * {@code text} for people, {@code json} (one object per line) for log shippers, or {@code auto} (the default):
 * text on a terminal, JSON otherwise. {@code SPGW_LOG_LEVEL} and {@code SPGW_LOG_FORMAT} override both.
 */
public record LoggingConfig(String level, String format) {

  public static final String LEVEL_ENV = "SPGW_LOG_LEVEL";
  public static final String FORMAT_ENV = "SPGW_LOG_FORMAT";
  static final List<String> LEVELS = List.of("error", "warn", "info", "debug", "trace");
  static final List<String> FORMATS = List.of("auto", "text", "json");

  public LoggingConfig {
    level = level == null ? "info" : level.toLowerCase(Locale.ROOT);
    format = format == null ? "auto" : format.toLowerCase(Locale.ROOT);
  }

  public static LoggingConfig defaults() {
    return new LoggingConfig(null, null);
  }

  /** This config with {@code SPGW_LOG_LEVEL} / {@code SPGW_LOG_FORMAT} applied where they are set. */
  public LoggingConfig withEnvironment(Function<String, String> environment) {
    String envLevel = environment.apply(LEVEL_ENV);
    String envFormat = environment.apply(FORMAT_ENV);
    return new LoggingConfig(blank(envLevel) ? level : envLevel, blank(envFormat) ? format : envFormat);
  }

  public void check(String path, Problems problems) {
    if (!LEVELS.contains(level)) {
      problems.add(Problems.field(path, "level"), "'" + level + "' is not a log level; use one of " + LEVELS);
    }
    if (!FORMATS.contains(format)) {
      problems.add(Problems.field(path, "format"), "'" + format + "' is not a log format; use one of " + FORMATS);
    }
  }

  /** Text or JSON, {@code auto} resolved: text when a person watches a terminal. */
  boolean json(boolean onTerminal) {
    return format.equals("json") || (format.equals("auto") && !onTerminal);
  }

  private static boolean blank(String value) {
    return value == null || value.isBlank();
  }
}
