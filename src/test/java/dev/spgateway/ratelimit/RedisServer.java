package dev.spgateway.ratelimit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A real redis-server for tests: the Linux x86_64 binary shipped in the {@code embedded-redis} artifact
 * (Redis 6.2), copied out and started as a process on a free loopback port, without persistence unless a
 * test asks for it. It
 * fails loudly when it cannot start, so no Redis test passes without a Redis.
 */
final class RedisServer implements AutoCloseable {

  private static final String BINARY = "redis-server-6.2.6-v5-linux-amd64";

  private final Path binary;
  private final int port;
  private final List<String> settings;
  private Process process;

  private RedisServer(Path binary, int port, List<String> settings) {
    this.binary = binary;
    this.port = port;
    this.settings = settings;
  }

  static RedisServer start() {
    return start("--save", "", "--appendonly", "no");
  }

  /** With other settings than the default's "no persistence", e.g. {@code --appendonly yes --dir /tmp/x}. */
  static RedisServer start(String... settings) {
    RedisServer server = new RedisServer(extract(), freePort(), List.of(settings));
    server.restart();
    return server;
  }

  /**
   * Sends one command on a connection of its own and returns its reply's first line, e.g.
   * {@code CLIENT PAUSE 60000 ALL}: once it answers +OK, every other client waits (a slow Redis).
   */
  String command(String... words) {
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
      StringBuilder resp = new StringBuilder("*" + words.length + "\r\n");
      for (String word : words) resp.append("$").append(word.getBytes(StandardCharsets.UTF_8).length).append("\r\n")
          .append(word).append("\r\n");
      socket.getOutputStream().write(resp.toString().getBytes(StandardCharsets.UTF_8));
      return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8)).readLine();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  URI url() {
    return URI.create("redis://127.0.0.1:" + port);
  }

  /** Starts it again on the same port, after {@link #kill()}; blocks until it accepts connections. */
  void restart() {
    try {
      List<String> command = new ArrayList<>(List.of(binary.toString(), "--port", Integer.toString(port), "--bind",
          "127.0.0.1"));
      command.addAll(settings);
      process = new ProcessBuilder(command).redirectErrorStream(true).start();
      List<String> output = new ArrayList<>();
      BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        output.add(line);
        if (line.contains("Ready to accept connections")) {
          drain(lines);
          return;
        }
      }
      throw new IllegalStateException("redis-server " + binary + " did not start on port " + port + ":\n"
          + String.join("\n", output));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + binary, e);
    }
  }

  /** Kills it outright (SIGKILL), as a crash or a lost host would. */
  void kill() {
    process.destroyForcibly();
    try {
      process.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    kill();
  }

  /** Keeps reading its output, so a full pipe never stalls it. */
  private static void drain(BufferedReader lines) {
    Thread drainer = new Thread(() -> {
      try {
        while (lines.readLine() != null) {
          // discard
        }
      } catch (IOException ignored) {
        // the process ended
      }
    }, "redis-server-output");
    drainer.setDaemon(true);
    drainer.start();
  }

  private static Path extract() {
    try (InputStream in = RedisServer.class.getResourceAsStream("/" + BINARY)) {
      if (in == null) throw new IllegalStateException(BINARY + " is not on the test classpath (embedded-redis)");
      Path file = Files.createTempFile("redis-server", "");
      Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
      file.toFile().setExecutable(true);
      file.toFile().deleteOnExit();
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
