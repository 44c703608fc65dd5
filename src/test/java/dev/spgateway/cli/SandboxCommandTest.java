package dev.spgateway.cli;

import static dev.spgateway.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;
import static java.util.concurrent.TimeUnit.SECONDS;

import dev.spgateway.sandbox.Sandbox;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sandbox's banner: its paging curl line answers a page whose nextLink, at the gateway, answers page 2. */
class SandboxCommandTest {

  static final Pattern CURL = Pattern.compile("curl -s -H '([^:]+): ([^']+)' '([^']+)'");

  @Test
  void thePrintedPagingExampleWorksAndItsNextLinkToo(@TempDir Path dir) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Sandbox sandbox = Sandbox.start(vertx, Path.of("config/sandbox.yaml"), 0, 0, dir).await(60, SECONDS); // starting is slow on a busy machine
      StringWriter banner = new StringWriter();
      SandboxCommand.explain(sandbox, false, new PrintWriter(banner));
      String line = banner.toString().lines().filter(l -> l.contains("$top=2")).findFirst().orElseThrow();
      Matcher curl = CURL.matcher(line.trim());
      assertThat(curl.matches()).as(line).isTrue();
      WebClient client = WebClient.create(vertx);

      HttpResponse<Buffer> first = await(client.getAbs(curl.group(3)).putHeader(curl.group(1), curl.group(2)).send());
      assertThat(first.statusCode()).isEqualTo(200);
      String next = first.bodyAsJsonObject().getString("@odata.nextLink");
      assertThat(next).startsWith("http://127.0.0.1:" + sandbox.gateway().port() + "/graph/v1.0/users?");

      HttpResponse<Buffer> second = await(client.getAbs(next).putHeader(curl.group(1), curl.group(2)).send());
      assertThat(second.statusCode()).isEqualTo(200);
      assertThat(second.bodyAsJsonObject().getJsonArray("value")).hasSize(2)
          .extracting(user -> ((JsonObject) user).getString("displayName")).doesNotContainNull();
      await(sandbox.close());
    } finally {
      await(vertx.close());
    }
  }
}
