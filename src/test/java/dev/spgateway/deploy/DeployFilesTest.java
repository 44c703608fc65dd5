package dev.spgateway.deploy;

import static dev.spgateway.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.spgateway.config.ConfigLoader;
import dev.spgateway.config.GatewayConfig;
import dev.spgateway.identity.ApiKeys;
import dev.spgateway.sandbox.Sandbox;
import dev.spgateway.testing.PrometheusText;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import java.io.File;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an operator deploys from deploy/: Kubernetes manifests that the API server would accept as written,
 * a gateway config that the gateway accepts, and a dashboard and alert rules that name only metrics a running
 * gateway serves.
 */
class DeployFilesTest {

  private static final Path KUBERNETES = Path.of("deploy/kubernetes");
  private static final Path DASHBOARD = Path.of("deploy/grafana/sp-gateway.json");
  private static final Path ALERTS = Path.of("deploy/prometheus/alerts.yaml");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper STRICT = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
  /** The Kubernetes API's own types for the kinds deploy/kubernetes uses (fabric8's model of the OpenAPI spec). */
  private static final Map<String, Class<?>> KINDS = Map.of(
      "v1/ServiceAccount", ServiceAccount.class,
      "v1/ConfigMap", ConfigMap.class,
      "v1/PersistentVolumeClaim", PersistentVolumeClaim.class,
      "v1/Service", Service.class,
      "apps/v1/Deployment", Deployment.class,
      "apps/v1/StatefulSet", StatefulSet.class,
      "policy/v1/PodDisruptionBudget", PodDisruptionBudget.class,
      "networking.k8s.io/v1/NetworkPolicy", NetworkPolicy.class);
  /**
   * Metrics the dashboard and alerts may name although this build does not serve them yet, each with its reason.
   * Keep this list short: every entry is a panel or alert that shows nothing today.
   */
  private static final Map<String, String> NOT_SERVED_YET = Map.of(
      "up", "Prometheus's own per-target metric, not the gateway's");

  @Test
  void everyManifestDecodesStrictlyIntoTheKubernetesApiTypes() throws IOException {
    List<Object> objects = manifests();
    assertThat(objects).extracting(object -> object.getClass().getSimpleName())
        .contains("Deployment", "ConfigMap", "Service", "PodDisruptionBudget", "StatefulSet", "NetworkPolicy");
    JsonNode kustomization = YAML.readTree(KUBERNETES.resolve("kustomization.yaml").toFile());
    Set<String> listed = new TreeSet<>();
    kustomization.get("resources").forEach(resource -> listed.add(resource.asText()));
    assertThat(listed).as("kustomization.yaml lists every manifest").isEqualTo(manifestFiles().stream()
        .map(file -> file.getFileName().toString()).collect(java.util.stream.Collectors.toCollection(TreeSet::new)));
  }

  @Test
  void aFieldTheKubernetesApiDoesNotHaveIsFound() throws IOException {
    JsonNode typo = YAML.readTree("""
        apiVersion: apps/v1
        kind: Deployment
        metadata: { name: x }
        spec:
          selector: { matchLabels: { a: b } }
          template:
            spec:
              containers:
                - name: x
                  livenesProbe: { httpGet: { path: /health/live, port: 9090 } }
        """);
    assertThat(unknownFields(STRICT.treeToValue(typo, Deployment.class), "typo"))
        .containsExactly("typo.Spec.Template.Spec.Containers[0].livenesProbe");
  }

  @Test
  void theDeploymentProbesTheAdminPortAndItsMemoryLimitLeavesRoomBesideTheHeap() throws IOException {
    Deployment deployment = only(Deployment.class);
    Container gateway = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(gateway.getPorts()).anySatisfy(port -> {
      assertThat(port.getName()).isEqualTo("admin");
      assertThat(port.getContainerPort()).isEqualTo(9090);
    });
    assertThat(gateway.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/health/live");
    assertThat(gateway.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/health/ready");
    assertThat(gateway.getReadinessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("admin");
    assertThat(gateway.getLivenessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("admin");
    assertThat(gateway.getEnv()).noneMatch(env -> env.getValue() != null && env.getName().matches("(?i).*(secret|key).*"));

    Quantity limit = gateway.getResources().getLimits().get("memory");
    assertThat(gateway.getResources().getRequests().get("memory")).as("requests = limits: no overcommit").isEqualTo(limit);
    BigDecimal limitBytes = Quantity.getAmountInBytes(limit);
    double heapShare = jvmOption("MaxRAMPercentage") / 100;
    BigDecimal heap = limitBytes.multiply(BigDecimal.valueOf(heapShare));
    // Metaspace, JIT code, thread stacks, direct buffers: measured at ~200 MB under load (bench/README.md).
    assertThat(limitBytes.subtract(heap)).as("memory beside the heap").isGreaterThanOrEqualTo(BigDecimal.valueOf(256L << 20));
    assertThat(heap).as("heap").isGreaterThanOrEqualTo(BigDecimal.valueOf(128L << 20));

    var labels = deployment.getSpec().getTemplate().getMetadata().getLabels();
    assertThat(labels).containsAllEntriesOf(only(PodDisruptionBudget.class).getSpec().getSelector().getMatchLabels());
    assertThat(labels).containsAllEntriesOf(only(Service.class).getSpec().getSelector());
    assertThat(deployment.getSpec().getTemplate().getMetadata().getAnnotations())
        .containsEntry("prometheus.io/scrape", "true").containsEntry("prometheus.io/port", "9090");
  }

  @Test
  void theConfigMapHoldsAConfigTheGatewayAccepts() throws IOException {
    String yaml = only(ConfigMap.class).getData().get("gateway.yaml");
    GatewayConfig config = new ConfigLoader(Map.of("POD_NAME", "sp-gateway-7d4b9-x2x8q")::get)
        .parse("configmap.yaml#gateway.yaml", yaml);
    assertThat(config.admin().host()).isEqualTo("0.0.0.0");
    assertThat(config.audit().file()).isEqualTo("/app/audit/sp-gateway-7d4b9-x2x8q/audit.jsonl");
    assertThat(yaml).doesNotContainIgnoringCase("secret:  ").doesNotContain("spg_");
  }

  @Test
  void theDashboardAndTheAlertsNameOnlyMetricsARunningGatewayServes(@TempDir Path dir) throws IOException {
    JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
    assertThat(dashboard.get("panels")).isNotEmpty();
    List<String> expressions = new ArrayList<>();
    dashboard.get("panels").forEach(panel -> panel.get("targets").forEach(target -> expressions.add(target.get("expr").asText())));
    YAML.readTree(ALERTS.toFile()).get("groups").forEach(group -> group.get("rules")
        .forEach(rule -> expressions.add(rule.get("expr").asText())));
    Set<String> named = metricNames(expressions);
    assertThat(named).contains("gateway_token_requests_total", "gateway_keyvault_reads_total",
        "gateway_upstream_throttled_total", "gateway_audit_refused_total", "gateway_requests_total",
        "gateway_refused_total", "gateway_credential_expiry_seconds");

    Set<String> served = PrometheusText.names(PrometheusText.samples(scrapeARunningSandbox(dir)));
    named.removeAll(NOT_SERVED_YET.keySet());
    assertThat(served).containsAll(named);
  }

  @Test
  void promtoolAcceptsTheAlertRules() throws Exception {
    assumeTrue(Stream.of(System.getenv("PATH").split(File.pathSeparator)).anyMatch(d -> Files.isExecutable(Path.of(d, "promtool"))),
        "promtool is not installed (Debian: apt-get install prometheus; .ci/run does)");
    Process promtool = new ProcessBuilder("promtool", "check", "rules", ALERTS.toString()).redirectErrorStream(true).start();
    String output = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(promtool.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(promtool.exitValue()).as(output).isZero();
    assertThat(output).contains("SUCCESS");
  }

  /** The sandbox after one call to Graph and one to Dataverse (Dataverse's budget gauges appear with its answer). */
  private static String scrapeARunningSandbox(Path dir) {
    Vertx vertx = Vertx.vertx();
    try {
      Sandbox sandbox = await(Sandbox.start(vertx, Path.of("config/sandbox.yaml"), 0, 0, dir));
      WebClient client = WebClient.create(vertx);
      int port = sandbox.gateway().port();
      for (String path : List.of("/graph/v1.0/users", "/crm/api/data/v9.2/WhoAmI")) {
        assertThat(await(client.get(port, "127.0.0.1", path).putHeader(ApiKeys.HEADER, sandbox.callerKey()).send())
            .statusCode()).as(path).isEqualTo(200);
      }
      // The GC pause timer is registered when the first collection is reported, by a JMX notification that
      // arrives on a thread of its own: ask for a collection, then read until it shows (or 30 s have passed).
      System.gc();
      String metrics = "";
      for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); System.nanoTime() < deadline; ) {
        metrics = await(client.get(sandbox.gateway().adminPort(), "127.0.0.1", "/metrics").send()).bodyAsString();
        if (metrics.contains("jvm_gc_pause_seconds_count")) break;
        await(vertx.timer(50));
      }
      await(sandbox.close());
      return metrics;
    } finally {
      await(vertx.close());
    }
  }

  /** Identifiers in PromQL that name metrics: everything but functions, keywords, labels and label values. */
  private static Set<String> metricNames(List<String> expressions) {
    Pattern name = Pattern.compile("(?<![\\w\"{$.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?=\\s*[{\\[)]|\\s*$|\\s*[<>=!]|\\s+(?:and|or|unless)\\b)");
    Set<String> promql = Set.of("sum", "min", "max", "avg", "count", "rate", "increase", "irate", "by", "without",
        "histogram_quantile", "and", "or", "unless", "on", "ignoring", "clamp_min", "abs", "le");
    Set<String> names = new TreeSet<>();
    for (String expression : expressions) {
      String stripped = expression.replaceAll("\\{[^}]*}", "{}").replaceAll("\\([^()]*\\)(?=\\s*\\()", "");
      Matcher matcher = name.matcher(stripped.replaceAll("by \\([^)]*\\)", "").replaceAll("\\$__rate_interval|\\d+[smhd]", ""));
      while (matcher.find()) {
        String found = matcher.group(1);
        if (!promql.contains(found)) names.add(found);
      }
    }
    return names;
  }

  /** The gateway's object of this kind (not Redis's). */
  private static <T extends io.fabric8.kubernetes.api.model.HasMetadata> T only(Class<T> kind) throws IOException {
    List<T> found = manifests().stream().filter(kind::isInstance).map(kind::cast)
        .filter(object -> object.getMetadata().getName().startsWith("sp-gateway"))
        .filter(object -> !object.getMetadata().getName().contains("redis")).toList();
    assertThat(found).as(kind.getSimpleName()).hasSize(1);
    return found.get(0);
  }

  private static List<Path> manifestFiles() throws IOException {
    try (Stream<Path> files = Files.list(KUBERNETES)) {
      return files.filter(file -> file.toString().endsWith(".yaml"))
          .filter(file -> !file.getFileName().toString().equals("kustomization.yaml")).sorted().toList();
    }
  }

  /** Every object of every manifest, each decoded into its Kubernetes type with no field left over. */
  private static List<Object> manifests() throws IOException {
    List<Object> objects = new ArrayList<>();
    for (Path file : manifestFiles()) {
      try (var documents = YAML.readerFor(JsonNode.class).<JsonNode>readValues(file.toFile())) {
        int index = 0;
        while (documents.hasNext()) {
          JsonNode document = documents.next();
          String where = file + " document " + index++;
          String kind = document.path("apiVersion").asText() + "/" + document.path("kind").asText();
          assertThat(KINDS).as(where + ": a kind this test knows").containsKey(kind);
          Object object = STRICT.treeToValue(document, KINDS.get(kind));
          assertThat(unknownFields(object, where)).as("fields the Kubernetes API does not have").isEmpty();
          objects.add(object);
        }
      }
    }
    return objects;
  }

  /**
   * fabric8's types keep fields they do not know in additionalProperties instead of failing; kubectl would refuse
   * them (strict field validation), so this walks the decoded tree and reports each one with its path.
   */
  private static List<String> unknownFields(Object node, String path) {
    List<String> unknown = new ArrayList<>();
    if (node == null) return unknown;
    if (node instanceof Map<?, ?> map) {
      map.forEach((key, value) -> unknown.addAll(unknownFields(value, path + "." + key)));
      return unknown;
    }
    if (node instanceof Collection<?> items) {
      int i = 0;
      for (Object item : items) unknown.addAll(unknownFields(item, path + "[" + i++ + "]"));
      return unknown;
    }
    if (!node.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) return unknown;
    for (Method getter : node.getClass().getMethods()) {
      if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers())
          || getter.getDeclaringClass() == Object.class) {
        continue;
      }
      try {
        if (getter.getName().equals("getAdditionalProperties")) {
          ((Map<?, ?>) getter.invoke(node)).keySet().forEach(key -> unknown.add(path + "." + key));
        } else if (getter.getName().startsWith("get") && !getter.getName().equals("getClass")) {
          unknown.addAll(unknownFields(getter.invoke(node), path + "." + getter.getName().substring(3)));
        }
      } catch (ReflectiveOperationException e) {
        throw new AssertionError(path + "." + getter.getName(), e);
      }
    }
    return unknown;
  }

  private static double jvmOption(String name) throws IOException {
    return Files.readAllLines(Path.of("deploy/jvm.options")).stream()
        .filter(line -> line.startsWith("-XX:" + name + "="))
        .map(line -> Double.parseDouble(line.substring(line.indexOf('=') + 1)))
        .findFirst().orElseThrow(() -> new AssertionError("no -XX:" + name + " in deploy/jvm.options"));
  }
}
