package dev.spgateway.audit;

import static dev.spgateway.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.spgateway.identity.ApiKeys;
import dev.spgateway.sandbox.Sandbox;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real full disk: the gateway's audit log on a 256 KB tmpfs. Needs the right to mount one (root in a
 * container); elsewhere it is skipped, and the injected failure of AuditWriterTest still runs.
 */
class AuditDiskFullTest {

  @TempDir Path dir;

  @Test
  void aFullDiskGives503sLosesNoRecordAndRecovers() throws Exception {
    Path disk = Files.createDirectory(dir.resolve("disk"));
    assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", disk.toString()) == 0, "cannot mount a tmpfs here");
    Vertx vertx = Vertx.vertx();
    try {
      Path filler = Files.write(disk.resolve("filler"), new byte[128 * 1024]);
      Sandbox sandbox = Sandbox.start(vertx, Path.of("config/sandbox.yaml"), 0, 0, disk)
          .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      WebClient client = WebClient.create(vertx);
      Map<String, Integer> answered = new LinkedHashMap<>();
      int refused = 0;
      HttpResponse<Buffer> response;
      do { // each record is ~700 bytes: the disk is full after a few hundred
        response = await(client.get(sandbox.gateway().port(), "127.0.0.1", "/crm/api/data/v9.2/WhoAmI")
            .putHeader(ApiKeys.HEADER, sandbox.callerKey()).send());
        answered.put(response.getHeader("client-request-id"), response.statusCode());
      } while (response.statusCode() == 200 && answered.size() < 5000);
      assertThat(response.statusCode()).isEqualTo(503);
      assertThat(response.getHeader("retry-after")).isEqualTo("1");
      JsonObject problem = response.bodyAsJsonObject();
      assertThat(problem.getString("type")).isEqualTo("urn:sp-gateway:problem:audit-unavailable");
      assertThat(problem.getString("requestId")).isEqualTo(response.getHeader("client-request-id"));
      String metrics = await(client.get(sandbox.gateway().adminPort(), "127.0.0.1", "/metrics").send()).bodyAsString();
      assertThat(metrics).contains("gateway_audit_available 0.0");
      refused++;

      Files.delete(filler); // room again: the writer's next retry succeeds
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      do {
        response = await(client.get(sandbox.gateway().port(), "127.0.0.1", "/crm/api/data/v9.2/WhoAmI")
            .putHeader(ApiKeys.HEADER, sandbox.callerKey()).send());
        if (response.statusCode() == 503) refused++;
        else answered.put(response.getHeader("client-request-id"), response.statusCode());
      } while (response.statusCode() == 503 && System.nanoTime() < deadline);
      assertThat(response.statusCode()).as("recovered").isEqualTo(200);
      await(sandbox.close());

      List<JsonObject> records = Files.readAllLines(sandbox.auditFile()).stream().map(JsonObject::new).toList();
      Map<String, Integer> recorded = new LinkedHashMap<>();
      records.stream().filter(r -> r.getString("requestId") != null)
          .forEach(r -> recorded.put(r.getString("requestId"), r.getInteger("status")));
      answered.forEach((id, status) -> {
        if (status != 503) assertThat(recorded).containsEntry(id, status); // every answered request, none lost
      });
      String summaryStart = refused + " requests were refused";
      assertThat(records).filteredOn(r -> "refused".equals(r.getString("outcome"))).singleElement()
          .satisfies(summary -> assertThat(summary.getString("reason")).startsWith(summaryStart));
      assertThat(AuditVerifier.verify(new AuditFiles(sandbox.auditFile())).whole()).isTrue();
    } finally {
      await(vertx.close());
      run("umount", disk.toString());
    }
  }

  private static int run(String... command) throws Exception {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      process.getInputStream().readAllBytes();
      return process.waitFor(30, TimeUnit.SECONDS) ? process.exitValue() : -1;
    } catch (java.io.IOException e) {
      return -1; // no such command
    }
  }
}
