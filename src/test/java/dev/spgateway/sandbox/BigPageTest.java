package dev.spgateway.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.identity.ApiKeys;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 50 MB Dataverse page, its nextLink after the rows, through a gateway whose whole JVM may use 64 MB of heap:
 * it gets through with its link rewritten only if the gateway streams it. The heap's figures are printed
 * for the bench notes.
 */
class BigPageTest {

  static final int PAGE_MB = 50;
  static final String MAX_HEAP = "-Xmx64m";

  @Test
  void aFiftyMegabytePageStreamsThroughASixtyFourMegabyteHeapWithItsLinkRewritten(@TempDir Path dir) throws Exception {
    Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), MAX_HEAP,
        "-XX:+UseG1GC", "-cp", System.getProperty("java.class.path"), BigPageGateway.class.getName(), dir.toString(),
        Integer.toString(PAGE_MB)).redirectErrorStream(true).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      String line;
      while ((line = out.readLine()) != null && !line.startsWith("READY ")) { }
      assertThat(line).as("the gateway process started").isNotNull();
      String[] ready = line.split(" ");
      String gateway = "http://127.0.0.1:" + ready[1];
      String heapUrl = "http://127.0.0.1:" + ready[2] + "/heap";
      Thread drain = new Thread(() -> out.lines().forEach(System.out::println));
      drain.setDaemon(true);
      drain.start();

      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
      JsonObject before = new JsonObject(client.send(HttpRequest.newBuilder(URI.create(heapUrl + "?reset")).build(),
          HttpResponse.BodyHandlers.ofString()).body());

      HttpResponse<InputStream> page = client.send(HttpRequest.newBuilder(URI.create(gateway
          + "/crm/api/data/v9.2/accounts?$select=name")).header(ApiKeys.HEADER, ready[3]).build(),
          HttpResponse.BodyHandlers.ofInputStream());
      assertThat(page.statusCode()).isEqualTo(200);
      long bytes = 0;
      byte[] tail = new byte[4096];
      int tailLength = 0;
      try (InputStream body = page.body()) {
        byte[] buffer = new byte[65536];
        int read;
        while ((read = body.read(buffer)) > 0) {
          bytes += read;
          // Keep only the last bytes: the test's own heap stays small too.
          if (read >= tail.length) {
            System.arraycopy(buffer, read - tail.length, tail, 0, tail.length);
            tailLength = tail.length;
          } else {
            int keep = Math.min(tailLength, tail.length - read);
            System.arraycopy(tail, tailLength - keep, tail, 0, keep);
            System.arraycopy(buffer, 0, tail, keep, read);
            tailLength = keep + read;
          }
        }
      }
      String end = new String(tail, 0, tailLength, StandardCharsets.UTF_8);
      assertThat(bytes).isGreaterThan(PAGE_MB * 1024L * 1024L);
      assertThat(end).endsWith("],\"@odata.nextLink\":\"" + gateway + "/crm/api/data/v9.2/accounts?$select=name&$skiptoken="
          + BigPageGateway.NEXT_LINK.substring(BigPageGateway.NEXT_LINK.indexOf("$skiptoken=") + 11) + "\"}");

      JsonObject after = new JsonObject(client.send(HttpRequest.newBuilder(URI.create(heapUrl)).build(),
          HttpResponse.BodyHandlers.ofString()).body());
      System.out.printf("BigPageTest: %d MB page; heap used after GC %.1f MB before, %.1f MB after; peak during the page"
          + " %.1f MB (old generation %.1f MB) of %.0f MB max%n", PAGE_MB, mb(before.getLong("usedAfterGc")),
          mb(after.getLong("usedAfterGc")), mb(after.getLong("peak")), mb(after.getLong("oldPeak")), mb(after.getLong("max")));
      assertThat(after.getLong("usedAfterGc") - before.getLong("usedAfterGc")).as("nothing of the page is kept")
          .isLessThan(8L * 1024 * 1024);
      assertThat(process.isAlive()).isTrue();
    } finally {
      process.destroyForcibly().waitFor();
    }
  }

  private static double mb(long bytes) {
    return bytes / 1024.0 / 1024.0;
  }
}
