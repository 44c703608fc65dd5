package dev.spgateway.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** `sp-gateway sandbox ...` as a real child process: its banner, its log lines, its exit code. */
final class SandboxProcess implements AutoCloseable {

  private final Process process;
  private final Map<String, String> banner;
  private final List<String> logLines = new CopyOnWriteArrayList<>();
  private final Thread logReader;

  private SandboxProcess(Process process) throws IOException {
    this.process = process;
    this.logReader = drain(reader(process.getErrorStream()), logLines, "child-stderr");
    this.banner = readBanner(process);
  }

  /** Starts the sandbox in {@code workingDir} with {@code env} added to this process's environment. */
  static SandboxProcess start(Path workingDir, Map<String, String> env, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Main.class.getName(), "sandbox"));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(workingDir.toFile());
    builder.environment().putAll(env);
    return new SandboxProcess(builder.start());
  }

  String gateway() {
    return banner.get("gateway");
  }

  String admin() {
    return banner.get("admin");
  }

  String callerKey() {
    return banner.get("Caller key:");
  }

  Path auditFile() {
    return Path.of(banner.get("audit log"));
  }

  /** SIGTERM, then the exit code and every line logged on standard error. */
  int terminate() throws InterruptedException {
    sigterm();
    if (!process.waitFor(60, TimeUnit.SECONDS)) throw new AssertionError("the sandbox did not stop within 60 s");
    logReader.join(10_000);
    return process.exitValue();
  }

  /** SIGTERM. Not Process.destroy(): that also closes our ends of the pipes, losing what the child logs next. */
  void sigterm() {
    process.toHandle().destroy();
  }

  List<String> logLines() {
    return List.copyOf(logLines);
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }

  /** "gateway    http://...", "admin      http://.../metrics ...", "audit log  /tmp/...", "Caller key: spg_...". */
  private Map<String, String> readBanner(Process process) throws IOException {
    Map<String, String> values = new HashMap<>();
    BufferedReader out = reader(process.getInputStream());
    StringBuilder seen = new StringBuilder();
    for (String line = out.readLine(); line != null; line = out.readLine()) {
      seen.append(line).append('\n');
      String trimmed = line.trim();
      for (String label : List.of("gateway", "admin", "audit log", "Caller key:")) {
        if (trimmed.startsWith(label + " ")) values.put(label, trimmed.substring(label.length()).trim().split("\\s+")[0]);
      }
      if (values.size() == 4) {
        values.put("admin", values.get("admin").replace("/metrics", ""));
        drain(out, new ArrayList<>(), "child-stdout");
        return values;
      }
    }
    throw new AssertionError("the sandbox stopped before printing its banner:\n" + seen + String.join("\n", logLines));
  }

  private static BufferedReader reader(java.io.InputStream stream) {
    return new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8));
  }

  /** Keeps reading so the child never blocks on a full pipe. */
  private static Thread drain(BufferedReader reader, List<String> into, String name) {
    Thread thread = new Thread(() -> {
      try {
        for (String line = reader.readLine(); line != null; line = reader.readLine()) into.add(line);
      } catch (IOException ignored) {
        // the child is gone
      }
    }, name);
    thread.setDaemon(true);
    thread.start();
    return thread;
  }
}
