package dev.spgateway.bench;

import dev.spgateway.policy.Decision;
import dev.spgateway.policy.RouteConfig;
import dev.spgateway.policy.AllowRule;
import dev.spgateway.policy.PolicyEngine;
import dev.spgateway.policy.QueryRules;
import dev.spgateway.policy.batch.BatchConfig;
import dev.spgateway.policy.batch.BatchJudge;
import dev.spgateway.proxy.UpstreamConfig;
import dev.spgateway.proxy.UpstreamConfig.UpstreamKind;
import io.vertx.core.buffer.Buffer;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Judging a whole batch on the event loop: a 20-request Graph batch, and a 1,000-request Dataverse batch
 * (500 reads, 250 change sets of a create and a reference to it, about 170 KB), on a worker thread; and what
 * the batch check costs every plain request.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class BatchBenchmark {

  private static final String BOUNDARY = "batch_36522ad7-fc75-4b56-8c71-56071383e77b";

  private BatchJudge judge;
  private Buffer graph;
  private Buffer dataverse;

  @Setup
  public void setUp() {
    Map<String, UpstreamConfig> upstreams = Map.of(
        "graph", new UpstreamConfig(URI.create("https://graph.microsoft.com"), UpstreamKind.graph, null, null, null),
        "crm", new UpstreamConfig(URI.create("https://contoso.crm.dynamics.com"), UpstreamKind.dataverse, null, null,
            null));
    var policy = new PolicyEngine(Map.of("flow", List.of(
        route("graph", "GET /v1.0/users/{id}", "POST /v1.0/users/{id}/sendMail"),
        route("crm", "GET /api/data/v9.2/accounts", "POST /api/data/v9.2/accounts",
            "PATCH /api/data/v9.2/accounts({id:key})"))), upstreams);
    judge = new BatchJudge(policy, new BatchConfig(BatchConfig.MAX_BODY_BYTES_CEILING), upstreams);
    graph = Buffer.buffer(IntStream.range(0, 20)
        .mapToObj(i -> "{\"id\":\"" + i + "\",\"method\":\"GET\",\"url\":\"/users/" + i + "?$select=id\"}")
        .collect(Collectors.joining(",", "{\"requests\":[", "]}")));
    String read = "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
        + "GET /api/data/v9.2/accounts?$select=name HTTP/1.1\r\nAccept: application/json\r\n\r\n";
    StringBuilder body = new StringBuilder();
    for (int i = 0; i < 250; i++) {
      body.append("--").append(BOUNDARY).append("\r\n").append(read);
      body.append("--").append(BOUNDARY).append("\r\n").append(read);
      String changeSet = "changeset_" + i;
      body.append("--").append(BOUNDARY).append("\r\nContent-Type: multipart/mixed; boundary=").append(changeSet)
          .append("\r\n\r\n--").append(changeSet).append("\r\n")
          .append("Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: c").append(i)
          .append("\r\n\r\nPOST accounts HTTP/1.1\r\nContent-Type: application/json\r\n\r\n{\"name\":\"Contoso ")
          .append(i).append("\"}\r\n--").append(changeSet).append("\r\n")
          .append("Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: u").append(i)
          .append("\r\n\r\nPATCH $c").append(i).append(" HTTP/1.1\r\nContent-Type: application/json\r\n\r\n{}\r\n--")
          .append(changeSet).append("--\r\n");
    }
    dataverse = Buffer.buffer(body.append("--").append(BOUNDARY).append("--\r\n").toString());
    check(judgeGraph(), 20);
    check(judgeDataverse(), 1000);
  }

  private static void check(Decision decision, int requests) {
    if (!(decision instanceof Decision.Allow allow) || allow.requests() != requests) {
      throw new IllegalStateException("the benchmark's batch is not allowed as expected: " + decision);
    }
  }

  /** What every plain request pays: the check that it is no batch in disguise. */
  /** A route acting as {@code finance} whose rules allow {@code $select}, as the batches below use. */
  private static RouteConfig route(String upstream, String... rules) {
    QueryRules select = new QueryRules(true, false, false, null, false, false, false, false, false, null);
    return new RouteConfig(upstream, "finance", java.util.Arrays.stream(rules).map(AllowRule::of).toList(), null, null,
        select, null);
  }

  @Benchmark
  public boolean isBatchOnAPlainRequest() {
    return judge.isBatch("graph", "/v1.0/users/87d349ed-44d7-43e1-9a83-5f2406dee5bd?$select=id,displayName");
  }

  @Benchmark
  public Decision judgeGraph() {
    return judge.judge("flow", "graph", "POST", "/v1.0/$batch", "application/json", graph);
  }

  @Benchmark
  public Decision judgeDataverse() {
    return judge.judge("flow", "crm", "POST", "/api/data/v9.2/$batch", "multipart/mixed; boundary=" + BOUNDARY,
        dataverse);
  }
}
