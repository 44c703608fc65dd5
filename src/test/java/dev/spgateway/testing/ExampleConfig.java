package dev.spgateway.testing;

import dev.spgateway.identity.ApiKeys;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * config/gateway.example.yaml with its key placeholders replaced by hashes of fresh keys, as an operator would:
 * the example as shipped fails validation on purpose.
 */
public final class ExampleConfig {

  public static final String SHIPPED = "config/gateway.example.yaml";
  public static final String PLACEHOLDER = "REPLACE-with-sp-gateway-hash-key";

  private static Path file;

  private ExampleConfig() {}

  /** The example's text, every placeholder replaced by the hash of a key of its own. */
  public static String text() {
    try {
      String text = Files.readString(Path.of(SHIPPED));
      while (text.contains(PLACEHOLDER)) text = text.replaceFirst(PLACEHOLDER, ApiKeys.sha256Hex(ApiKeys.generate()));
      return text;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@link #text()} in a file of its own, written once per test run. */
  public static synchronized String file() {
    try {
      if (file == null) {
        file = Files.createTempFile("gateway.example", ".yaml");
        file.toFile().deleteOnExit();
        Files.writeString(file, text());
      }
      return file.toString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
