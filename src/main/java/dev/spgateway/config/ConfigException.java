package dev.spgateway.config;

import java.util.List;

/** A config the gateway refuses to start with; the message lists every problem, each with its path. */
public final class ConfigException extends RuntimeException {

  private final String file;
  private final List<ConfigProblem> problems;

  public ConfigException(String file, List<ConfigProblem> problems) {
    super(describe(file, problems));
    this.file = file;
    this.problems = List.copyOf(problems);
  }

  public String file() {
    return file;
  }

  public List<ConfigProblem> problems() {
    return problems;
  }

  private static String describe(String file, List<ConfigProblem> problems) {
    StringBuilder text = new StringBuilder(file).append(": ");
    if (problems.size() == 1) return text.append(problems.get(0)).toString();
    text.append(problems.size()).append(" problems");
    problems.forEach(problem -> text.append("\n  - ").append(problem));
    return text.toString();
  }

  /** One thing wrong, where it is ({@code callers.invoice-flow.routes[2].as}) and what to do. */
  public record ConfigProblem(String path, String message) {
    @Override
    public String toString() {
      return path.isEmpty() ? message : path + ": " + message;
    }
  }
}
