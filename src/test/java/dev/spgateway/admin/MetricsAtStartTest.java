package dev.spgateway.admin;

import static dev.spgateway.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.sandbox.Sandbox;
import dev.spgateway.testing.PrometheusText;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * /metrics of a gateway that has not served a request yet: every counter an alert or dashboard needs is there at 0,
 * the JVM and process are described, and every label speaks the same vocabulary.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MetricsAtStartTest {

  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");
  /** Every label a gateway_* metric may carry. */
  static final Set<String> VOCABULARY = Set.of("caller", "upstream", "service_principal", "status_class", "status",
      "problem", "outcome", "limit", "secret", "le");

  Vertx vertx;
  Sandbox sandbox;
  /** "name{labels}" → value, as scraped once before any request. */
  Map<String, Double> samples;

  @BeforeAll
  void start(@TempDir Path dir) {
    vertx = Vertx.vertx();
    sandbox = await(Sandbox.start(vertx, Path.of("config/sandbox.yaml"), 0, 0, dir));
    samples = PrometheusText.samples(await(WebClient.create(vertx).get(sandbox.gateway().adminPort(), "127.0.0.1", "/metrics").send())
        .bodyAsString());
  }

  @AfterAll
  void stop() {
    await(sandbox.close());
    await(vertx.close());
  }

  @Test
  void everyCounterAnAlertNeedsIsThereAtZeroBeforeTheFirstRequest() {
    assertThat(samples).contains(
        Map.entry("gateway_requests_total{caller=\"invoice-flow\",status_class=\"2xx\",upstream=\"graph\"}", 0.0),
        Map.entry("gateway_requests_total{caller=\"invoice-flow\",status_class=\"5xx\",upstream=\"crm\"}", 0.0),
        Map.entry("gateway_refused_total{caller=\"invoice-flow\",problem=\"caller-day\",upstream=\"crm\"}", 0.0),
        Map.entry("gateway_refused_total{caller=\"invoice-flow\",problem=\"route-denied\",upstream=\"graph\"}", 0.0),
        Map.entry("gateway_refused_total{caller=\"-\",problem=\"unknown-api-key\",upstream=\"-\"}", 0.0),
        Map.entry("gateway_token_requests_total{outcome=\"unreachable\",service_principal=\"finance\"}", 0.0),
        Map.entry("gateway_keyvault_reads_total{outcome=\"forbidden\",secret=\"finance-client-secret\"}", 0.0),
        Map.entry("gateway_keyvault_reads_total{outcome=\"success\",secret=\"finance-client-secret\"}", 1.0),
        Map.entry("gateway_upstream_throttled_total{service_principal=\"finance\",status=\"429\",upstream=\"crm\"}", 0.0),
        Map.entry("gateway_ratelimit_refused_total{limit=\"caller-day\"}", 0.0),
        Map.entry("gateway_upstream_duration_seconds_count{upstream=\"graph\"}", 0.0),
        Map.entry("gateway_audit_refused_total", 0.0),
        Map.entry("gateway_audit_available", 1.0));
    // The tokens the routes need are asked for at start, so these count those requests (or not yet).
    assertThat(samples).containsKeys(
        "gateway_token_requests_total{outcome=\"success\",service_principal=\"finance\"}",
        "gateway_token_request_duration_seconds_count{service_principal=\"finance\"}");
  }

  @Test
  void theJvmAndTheProcessAreDescribed() {
    Set<String> names = names();
    assertThat(names).contains("jvm_memory_used_bytes", "jvm_memory_max_bytes", "jvm_gc_memory_allocated_bytes_total",
        "jvm_gc_live_data_size_bytes", "jvm_threads_live_threads", "jvm_classes_loaded_classes", "jvm_info",
        "process_cpu_usage", "system_cpu_count", "process_files_open_files", "process_files_max_files",
        "process_uptime_seconds", "process_start_time_seconds", "process_resident_memory_bytes");
    assertThat(samples.get("process_resident_memory_bytes")).isGreaterThan(10_000_000.0);
  }

  @Test
  void everyGatewayMetricSpeaksOneLabelVocabularyWithUnitsInItsName() {
    samples.keySet().stream().filter(sample -> sample.startsWith("gateway_")).forEach(sample -> {
      Matcher labels = LABEL.matcher(sample);
      while (labels.find()) assertThat(labels.group(1)).as(sample).isIn(VOCABULARY);
      assertThat(sample).as("durations are in seconds").doesNotContainIgnoringCase("millis").doesNotContain("_ms");
    });
    assertThat(names()).filteredOn(name -> name.contains("duration")).allMatch(name -> name.contains("_seconds"));
  }

  private Set<String> names() {
    return PrometheusText.names(samples);
  }
}
