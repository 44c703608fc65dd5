package dev.spgateway.policy.batch;

import static dev.spgateway.policy.batch.BatchFixtures.BOUNDARY;
import static dev.spgateway.policy.batch.BatchFixtures.MULTIPART;
import static dev.spgateway.policy.batch.BatchFixtures.changeSet;
import static dev.spgateway.policy.batch.BatchFixtures.dataverseBatch;
import static dev.spgateway.policy.batch.BatchFixtures.graphBatch;
import static dev.spgateway.policy.batch.BatchFixtures.graphRequest;
import static dev.spgateway.policy.batch.BatchFixtures.part;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.policy.Decision;
import dev.spgateway.policy.Decision.Refusal;
import dev.spgateway.policy.Decision.SubRequest;
import dev.spgateway.policy.PolicyRequest;
import dev.spgateway.policy.RouteConfig;
import dev.spgateway.policy.RoutePolicy;
import dev.spgateway.policy.AllowRule;
import dev.spgateway.policy.PolicyEngine;
import dev.spgateway.policy.QueryRules;
import dev.spgateway.proxy.UpstreamConfig;
import dev.spgateway.proxy.UpstreamConfig.UpstreamKind;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Both batch formats read and judged against the real {@link PolicyEngine}. */
class BatchJudgeTest {

  static final String NEW = MultipartBatchParser.NEW_ENTITY_KEY;
  static final String ACCOUNT = "6f1c2f3e-0b1a-4c2d-9e8f-7a6b5c4d3e2f";

  static final Map<String, UpstreamConfig> UPSTREAMS = Map.of(
      "graph", new UpstreamConfig(URI.create("https://graph.microsoft.com"), UpstreamKind.graph, null, null, null),
      "crm", new UpstreamConfig(URI.create("http://127.0.0.1:8081"), UpstreamKind.dataverse,
          "https://contoso.crm.dynamics.com", null, null));

  final RoutePolicy template = new PolicyEngine(Map.of(
      "flow", List.of(
          route("graph", "finance", List.of("GET /v1.0/users/{id}", "POST /v1.0/users/{id}/sendMail",
              "GET /beta/users/{id}")),
          route("graph", "hr", List.of("GET /v1.0/groups/{id}")),
          route("crm", "finance", List.of("GET /api/data/v9.2/accounts", "POST /api/data/v9.2/accounts",
              "PATCH /api/data/v9.2/accounts({id:key})", "POST /api/data/v9.2/accounts({id:key})/contact_customer_accounts"))),
      "fixed", List.of(
          route("crm", "finance", List.of("POST /api/data/v9.2/accounts",
              "PATCH /api/data/v9.2/accounts(" + ACCOUNT + ")")))), UPSTREAMS);

  /** What the judge asked the policy, to see how references and relative URLs were resolved. */
  final List<PolicyRequest> asked = new CopyOnWriteArrayList<>();
  final RoutePolicy recording = (caller, request) -> {
    asked.add(request);
    return template.decide(caller, request);
  };
  final BatchJudge judge = new BatchJudge(recording, new BatchConfig(256L * 1024), UPSTREAMS);

  /** A route whose rules allow {@code $select}, as a flow reading accounts would have. */
  static RouteConfig route(String upstream, String as, List<String> rules) {
    QueryRules select = new QueryRules(true, false, false, null, false, false, false, false, false, null);
    return new RouteConfig(upstream, as, rules.stream().map(AllowRule::of).toList(), null, null, select, null);
  }

  Decision graph(String body) {
    return judge.judge("flow", "graph", "POST", "/v1.0/$batch", "application/json", Buffer.buffer(body));
  }

  Decision crm(String caller, String body) {
    return judge.judge(caller, "crm", "POST", "/api/data/v9.2/$batch", MULTIPART, Buffer.buffer(body));
  }

  static String refusal(Decision decision) {
    assertThat(decision).isInstanceOf(Decision.Deny.class);
    Decision.Deny deny = (Decision.Deny) decision;
    return deny.refusal().problemType() + ": " + deny.reason();
  }

  // ---- Graph JSON batching

  @Test
  void aGraphBatchIsAllowedWhenEverySubRequestIsAndListsThemWithTheirRules() {
    Decision decision = graph(graphBatch(
        graphRequest("1", "GET", "/users/42"),
        graphRequest("2", "POST", "users/42/sendMail").put("dependsOn", List.of("1"))
            .put("headers", new JsonObject().put("Content-Type", "application/json"))
            .put("body", new JsonObject().put("message", new JsonObject()))));

    assertThat(decision).isEqualTo(new Decision.Allow("batch", "graph", "finance", "/v1.0/$batch", List.of(), List.of(
        new SubRequest("1", "GET", "/v1.0/users/42", "routes[0].allow[0]"),
        new SubRequest("2", "POST", "/v1.0/users/42/sendMail", "routes[0].allow[1]"))));
    assertThat(((Decision.Allow) decision).requests()).isEqualTo(2);
    assertThat(asked).extracting(PolicyRequest::contentType).containsExactly(null, "application/json");
    assertThat(asked.get(1).contentLength()).isEqualTo("{\"message\":{}}".length());
  }

  @Test
  void aBetaBatchResolvesAgainstBeta() {
    Decision decision = judge.judge("flow", "graph", "POST", "/beta/$batch", "application/json; charset=utf-8",
        Buffer.buffer(graphBatch(graphRequest("a", "GET", "/users/42"))));
    assertThat(decision).isInstanceOf(Decision.Allow.class);
    assertThat(asked).extracting(PolicyRequest::target).containsExactly("/beta/users/42");
  }

  @Test
  void oneDeniedSubRequestRefusesTheBatchNamingEachDeniedId() {
    String reason = refusal(graph(graphBatch(
        graphRequest("1", "GET", "/users/42"),
        graphRequest("2", "DELETE", "/users/42").put("dependsOn", List.of("1")),
        graphRequest("3", "GET", "/users/42/manager"))));
    assertThat(reason).startsWith("batch-denied: 2 of 3 sub-requests are denied")
        .contains("'2': no rule of caller 'flow' allows DELETE /v1.0/users/42")
        .contains("'3': no rule of caller 'flow' allows GET /v1.0/users/42/manager")
        .doesNotContain("'1'");
  }

  @Test
  void subRequestsNeedingTwoServicePrincipalsAreRefused() {
    assertThat(refusal(graph(graphBatch(graphRequest("u", "GET", "/users/42"), graphRequest("g", "GET", "/groups/7")))))
        .isEqualTo("batch-denied: the sub-requests would act as different service principals (as 'finance': u;"
            + " as 'hr': g), but a batch is sent with one token; send one batch per service principal");
  }

  static Stream<Arguments> malformedGraphBatches() {
    String twentyOne = graphBatch(IntStream.rangeClosed(1, 21)
        .mapToObj(i -> graphRequest("r" + i, "GET", "/users/" + i)).toArray(JsonObject[]::new));
    return Stream.of(
        Arguments.of("{\"requests\": [", "not valid JSON (line 1"),
        Arguments.of("[]", "must be a JSON object"),
        Arguments.of("{\"requests\":" + "[".repeat(5000) + "]".repeat(5000) + "}", "not valid JSON"),
        Arguments.of("{\"requests\":[]}", "non-empty \"requests\""),
        Arguments.of("{\"requests\":[{\"id\":\"1\",\"method\":\"POST\",\"url\":\"/users/1/sendMail\","
            + "\"headers\":{\"Content-Type\":\"application/json\",\"X-HTTP-Method-Override\":\"DELETE\"},\"body\":{}}]}",
            "X-HTTP-Method-Override header asks the upstream for another method"),
        Arguments.of(twentyOne, "21 requests; Graph accepts at most 20"),
        Arguments.of("{\"requests\":[{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/users/1\",\"url\":\"/users/1/manager\"}]}",
            "a key appears twice"),
        Arguments.of("{\"requests\":[{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/users/1\",\"URL\":\"/groups/1\"}]}",
            "property 'URL'"),
        Arguments.of("{\"requests\":[],\"Requests\":[]}", "property 'Requests'"),
        Arguments.of("{\"requests\":[{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/users/1\"}]} {}", "not valid JSON"),
        Arguments.of(graphBatch(graphRequest("1", "GET", "/users/1"), graphRequest("1", "GET", "/users/2")),
            "request '1': the id is used twice"),
        Arguments.of(graphBatch(graphRequest("1", "GET", "/users/1").put("dependsOn", List.of("2")),
            graphRequest("2", "GET", "/users/2")), "dependsOn names '2', which is no request listed before it"),
        Arguments.of(graphBatch(graphRequest("1", "GET", "/users/1").put("dependsOn", List.of("1"))), "dependsOn"),
        Arguments.of(graphBatch(graphRequest("1", "GET", "https://graph.microsoft.com/v1.0/users/1")), "is not relative"),
        Arguments.of(graphBatch(graphRequest("1", "GET", "//evil.example/v1.0/users/1")), "is not relative"),
        Arguments.of(graphBatch(graphRequest("1", "GET", "/v1.0/users/1")), "'/v1.0/users/1' is not relative"),
        Arguments.of(graphBatch(graphRequest("1", "GET", "BETA/users/1")), "is not relative"),
        Arguments.of(graphBatch(graphRequest("1", "GET", "/users/1").put("headers", new JsonObject().put("Host", "x"))),
            "carries a Host header"),
        Arguments.of(graphBatch(graphRequest("1", "get", "/users/1")), "the method 'get' is not one of"),
        Arguments.of(graphBatch(graphRequest("1", "GET", "/users/1").put("body", "x")), "no Content-Type header"),
        Arguments.of(graphBatch(graphRequest("1", "GET", "/users/1")
            .put("headers", new JsonObject().put("Authorization", "Bearer stolen"))), "Authorization header"),
        Arguments.of(graphBatch(graphRequest("1", "GET", "/users/1")
            .put("headers", new JsonObject().put("Accept", "a").put("accept", "b"))), "appears twice"),
        Arguments.of(graphBatch(graphRequest("1", "GET", "/users/1").put("id", 1)), "needs \"id\" as a string"),
        Arguments.of(graphBatch(graphRequest("1 OR 2", "GET", "/users/1")), "the id '1 OR 2' must be"),
        Arguments.of("\uFEFF" + graphBatch(graphRequest("1", "GET", "/users/1")), "byte order mark"),
        Arguments.of(graphBatch(graphRequest("1", "POST", "/$batch")), "'1': a $batch inside a batch"),
        Arguments.of(graphBatch(graphRequest("1", "GET", "/users/1/%2e%2e/%2e%2e/groups")), "'1': the path contains an encoded"),
        Arguments.of(graphBatch(graphRequest("1", "GET", "/users/1%2Fmanager")), "encoded '/'"),
        Arguments.of(graphBatch(graphRequest("1", "GET", "/users//1")), "empty segment"),
        Arguments.of(graphBatch(graphRequest("1", "GET", "\\users\\1")), "backslash"),
        Arguments.of(graphBatch(graphRequest("1", "GET", "/users/#/1")), "'1': a URL inside a batch may not carry a fragment"));
  }

  @ParameterizedTest
  @MethodSource("malformedGraphBatches")
  void malformedGraphBatchesAreA400SayingWhatAndWhere(String body, String expected) {
    assertThat(refusal(graph(body))).startsWith("bad-batch: ").contains(expected);
  }

  @Test
  void aBodyThatIsNotUtf8IsRefused() {
    byte[] latin1 = graphBatch(graphRequest("1", "GET", "/users/Ä")).getBytes(StandardCharsets.ISO_8859_1);
    assertThat(refusal(judge.judge("flow", "graph", "POST", "/v1.0/$batch", "application/json", Buffer.buffer(latin1))))
        .isEqualTo("bad-batch: the body is not valid UTF-8");
  }

  // ---- The endpoint itself

  @ParameterizedTest
  @ValueSource(strings = {"/V1.0/$BATCH", "/v1.0/$Batch", "/v1.0/%24batch", "/v1.0/%2524batch", "/v1.0/%u0024batch",
      "/v1.0/$batch?$select=id", "/v1.0/$batch/", "/v1.0/users/$batch", "/v1.0/batch", "/v1.0/BATCH", "/v1.0/$batch%00",
      "/v1.0/%25%32%34batch", "/v1.0/%U0024BATCH", "/v1.0/%62atch"})
  void everyOtherSpellingOfBatchIsRefusedNeverJudgedAsAPlainRequest(String target) {
    assertThat(judge.isBatch("graph", target)).isTrue();
    assertThat(refusal(judge.beforeBody("graph", "POST", target, "application/json", 10)))
        .startsWith("bad-batch: a Graph batch is sent to exactly /v1.0/$batch or /beta/$batch");
  }

  @Test
  void plainRequestsAndUnknownUpstreamsAreNotBatches() {
    assertThat(judge.isBatch("graph", "/v1.0/users/42?$filter=name eq 'batch'")).isFalse();
    assertThat(judge.isBatch("graph", "/v1.0/batches")).isFalse();
    assertThat(judge.isBatch("nowhere", "/v1.0/$batch")).isFalse();
    assertThat(refusal(judge.judge("flow", "nowhere", "POST", "/v1.0/$batch", "application/json", Buffer.buffer("{}"))))
        .isEqualTo("route-denied: there is no upstream 'nowhere'");
  }

  @Test
  void theMethodTypeAndDeclaredLengthAreCheckedBeforeTheBodyIsRead() {
    assertThat(refusal(judge.beforeBody("graph", "GET", "/v1.0/$batch", "application/json", 0)))
        .isEqualTo("bad-batch: a $batch is sent with POST, not GET");
    assertThat(refusal(judge.beforeBody("graph", "POST", "/v1.0/$batch", "text/plain", 10)))
        .startsWith("unsupported-media-type: a Graph batch is sent as Content-Type: application/json");
    assertThat(refusal(judge.beforeBody("graph", "POST", "/v1.0/$batch", "application/json; charset=iso-8859-1", 10)))
        .isEqualTo("unsupported-media-type: a Graph batch is sent as Content-Type: application/json, in UTF-8");
    assertThat(judge.beforeBody("graph", "POST", "/v1.0/$batch", "application/json;charset=\"UTF-8\"", 10)).isNull();
    assertThat(refusal(judge.beforeBody("crm", "POST", "/api/data/v9.2/$batch", "application/json", 10)))
        .startsWith("unsupported-media-type: a Dataverse batch is sent as Content-Type: multipart/mixed");
    assertThat(refusal(judge.beforeBody("crm", "POST", "/api/data/v9.2/$batch", "multipart/mixed", 10)))
        .isEqualTo("bad-batch: the Content-Type has no boundary: send multipart/mixed; boundary=batch_ID");
    assertThat(refusal(judge.beforeBody("graph", "POST", "/v1.0/$batch", "application/json", 256 * 1024 + 1)))
        .isEqualTo("body-too-large: a $batch body may be at most 262144 bytes (batch.maxBodyBytes); split the batch");
    assertThat(judge.beforeBody("graph", "POST", "/v1.0/$batch", "application/json", 256 * 1024)).isNull();
    assertThat(judge.beforeBody("graph", "POST", "/v1.0/$batch", "application/json", -1)).isNull();
  }

  // ---- Dataverse multipart batches

  @Test
  void aDataverseBatchWithAChangeSetIsJudgedPartByPartAndReferencesAsTheEntityTheyName() {
    String body = dataverseBatch(
        part(null, "GET /api/data/v9.2/accounts?$select=name HTTP/1.1\nAccept: application/json\n"),
        changeSet("changeset_1",
            part("1", "POST accounts HTTP/1.1\nContent-Type: application/json; type=entry\n\n{\"name\":\"Contoso\"}"),
            part("2", "PATCH $1 HTTP/1.1\nContent-Type: application/json\nContent-Length: 19\n\n{\"name\":\"Fabrikam\"}"),
            part("3", "POST $1/contact_customer_accounts HTTP/1.1\nContent-Type: application/json\n\n{}")),
        part("4", "PATCH https://contoso.crm.dynamics.com/api/data/v9.2/accounts(" + ACCOUNT + ") HTTP/1.1\n"
            + "Content-Type: application/json\n\n{}"),
        part("5", "PATCH http://127.0.0.1:8081/api/data/v9.2/accounts(" + ACCOUNT + ") HTTP/1.1\n"
            + "Content-Type: application/json\n\n{}"));

    Decision decision = crm("flow", body);

    assertThat(decision).isInstanceOf(Decision.Allow.class);
    assertThat(((Decision.Allow) decision).batch()).extracting(SubRequest::id, SubRequest::method, SubRequest::path)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("#1", "GET", "/api/data/v9.2/accounts"),
            org.assertj.core.groups.Tuple.tuple("1", "POST", "/api/data/v9.2/accounts"),
            org.assertj.core.groups.Tuple.tuple("2", "PATCH", "/api/data/v9.2/accounts(" + NEW + ")"),
            org.assertj.core.groups.Tuple.tuple("3", "POST", "/api/data/v9.2/accounts(" + NEW + ")/contact_customer_accounts"),
            org.assertj.core.groups.Tuple.tuple("4", "PATCH", "/api/data/v9.2/accounts(" + ACCOUNT + ")"),
            org.assertj.core.groups.Tuple.tuple("5", "PATCH", "/api/data/v9.2/accounts(" + ACCOUNT + ")"));
    assertThat(asked.get(0).target()).isEqualTo("/api/data/v9.2/accounts?$select=name");
    assertThat(asked.get(1).contentType()).isEqualTo("application/json; type=entry");
    assertThat(asked.get(1).contentLength()).isEqualTo("{\"name\":\"Contoso\"}".length());
  }

  @Test
  void aReferenceToANewEntityIsNotAllowedByARuleForOneFixedKey() {
    String body = dataverseBatch(changeSet("cs",
        part("1", "POST /api/data/v9.2/accounts HTTP/1.1\nContent-Type: application/json\n\n{}"),
        part("2", "PATCH $1 HTTP/1.1\nContent-Type: application/json\n\n{}")));
    assertThat(refusal(crm("fixed", body))).startsWith("batch-denied: 1 of 2 sub-requests are denied")
        .contains("'2': no rule of caller 'fixed' allows PATCH /api/data/v9.2/accounts(" + NEW + ")");
  }

  @Test
  void aDeniedDataversePartRefusesTheBatch() {
    String body = dataverseBatch(
        part(null, "GET /api/data/v9.2/accounts HTTP/1.1\n"),
        part(null, "DELETE /api/data/v9.2/accounts(" + ACCOUNT + ") HTTP/1.1\n"));
    assertThat(refusal(crm("flow", body))).startsWith("batch-denied: 1 of 2")
        .contains("'#2': no rule of caller 'flow' allows DELETE /api/data/v9.2/accounts(" + ACCOUNT + ")");
  }

  static Stream<Arguments> malformedDataverseBatches() {
    String get = "GET /api/data/v9.2/accounts HTTP/1.1\n";
    String post = "POST /api/data/v9.2/accounts HTTP/1.1\nContent-Type: application/json\n\n{}";
    String[] tooMany = IntStream.range(0, 1001).mapToObj(i -> part(null, get)).toArray(String[]::new);
    return Stream.of(
        Arguments.of(dataverseBatch(part(null, "GET https://evil.example/api/data/v9.2/accounts HTTP/1.1\n")),
            "part 1: the URL names https://evil.example; a batch addresses only its own environment"),
        Arguments.of(dataverseBatch(part(null, "GET https://contoso.crm.dynamics.com.evil.example/api/data/v9.2/accounts HTTP/1.1\n")),
            "names https://contoso.crm.dynamics.com.evil.example"),
        Arguments.of(dataverseBatch(part(null, "GET https://user@contoso.crm.dynamics.com/api/data/v9.2/accounts HTTP/1.1\n")),
            "without user info"),
        Arguments.of(dataverseBatch(part(null, "GET //evil.example/api/data/v9.2/accounts HTTP/1.1\n")), "names a host"),
        Arguments.of(dataverseBatch(changeSet("cs1", changeSet("cs2", part("1", post)))),
            "part 1.1 is a change set inside a change set"),
        Arguments.of(dataverseBatch(changeSet("cs", part("1", get))), "a change set holds only changes"),
        Arguments.of(dataverseBatch(part("1", post), part("2", "PATCH $1 HTTP/1.1\n\n{}")),
            "'$1' refers to no earlier request of the same change set"),
        Arguments.of(dataverseBatch(changeSet("cs", part("2", "PATCH $1 HTTP/1.1\n\n{}"), part("1", post))),
            "refers to no earlier request"),
        Arguments.of(dataverseBatch(changeSet("cs", part("1", "DELETE /api/data/v9.2/accounts HTTP/1.1\n"),
            part("2", "PATCH $1 HTTP/1.1\n\n{}"))), "refers to no earlier request"),
        Arguments.of(dataverseBatch(part("1", post), part("1", post)), "Content-ID 1 is used twice"),
        Arguments.of(dataverseBatch(part(null, "POST /api/data/v9.2/accounts HTTP/1.1\nContent-Length: 500\n\n{}")),
            "Content-Length '500' does not match its 2-byte body"),
        Arguments.of(dataverseBatch(part(null, get + "Authorization: Bearer stolen\n")), "Authorization header"),
        Arguments.of(dataverseBatch(part(null, get + "MSCRMCallerID: 7f0d0000-0000-4000-8000-000000000000\n")),
            "MSCRMCallerID header"),
        Arguments.of(dataverseBatch(part(null, get + "Transfer-Encoding: chunked\n")), "Transfer-Encoding"),
        Arguments.of(dataverseBatch(part(null, get + "Host: fabrikam.crm.dynamics.com\n")), "carries a Host header"),
        Arguments.of(dataverseBatch(part(null, get + "Accept: a\n b\n")), "not 'Name: value'"),
        Arguments.of(dataverseBatch(part(null, get + "Accept : a\n")), "not 'Name: value'"),
        Arguments.of(dataverseBatch(part(null, "GET /api/data/v9.2/accounts HTTP/1.0\n")), "is not 'METHOD URL HTTP/1.1'"),
        Arguments.of(dataverseBatch(part(null, "get /api/data/v9.2/accounts HTTP/1.1\n")), "is not 'METHOD URL HTTP/1.1'"),
        Arguments.of(dataverseBatch(part(null, "GET /api/data/v9.2/accounts  HTTP/1.1\n")), "is not 'METHOD URL HTTP/1.1'"),
        Arguments.of(dataverseBatch("Content-Type: text/plain\n\n" + get), "Content-Type must be application/http"),
        Arguments.of(dataverseBatch("Content-Type: application/http\nContent-Transfer-Encoding: base64\n\nR0VUIC8="),
            "Content-Transfer-Encoding 'base64' is not accepted"),
        Arguments.of(dataverseBatch(part(null, post.replace("{}", "{\"x\":\"--" + BOUNDARY + "\"}"))),
            "the boundary occurs inside a part"),
        Arguments.of(dataverseBatch(part(null, post.replace("{}", "{}\n--" + BOUNDARY.toUpperCase() + "\n"))),
            "the boundary occurs inside a part"),
        Arguments.of(dataverseBatch(part(null, get)).replace("--" + BOUNDARY + "\r\n", "--" + BOUNDARY + " \r\n"),
            "must stand alone on its line"),
        Arguments.of("preamble\r\n" + dataverseBatch(part(null, get)), "only blank lines may come before"),
        Arguments.of(dataverseBatch(part(null, get)) + "--" + BOUNDARY + "\r\n" + part(null, get), "content follows the closing"),
        Arguments.of(dataverseBatch(part(null, get)) + "epilogue", "only blank lines may follow"),
        Arguments.of(dataverseBatch(part(null, get)).replace("--" + BOUNDARY + "--", ""), "does not end with the line"),
        Arguments.of("", "has no part"),
        Arguments.of(dataverseBatch(tooMany), "more than 1000 requests"),
        Arguments.of(dataverseBatch(part(null, "POST /api/data/v9.2/$batch HTTP/1.1\n")), "a $batch inside a batch"),
        Arguments.of(dataverseBatch(part(null, "GET /api/data/v9.2/accounts/%2e%2e/systemusers HTTP/1.1\n")),
            "'#1': the path contains an encoded"),
        Arguments.of(dataverseBatch(part(null, "GET /api/data/v9.2/accounts#x HTTP/1.1\n")),
            "'#1': a URL inside a batch may not carry a fragment"));
  }

  @ParameterizedTest
  @MethodSource("malformedDataverseBatches")
  void malformedDataverseBatchesAreA400SayingWhatAndWhere(String body, String expected) {
    assertThat(refusal(crm("flow", body))).startsWith("bad-batch: ").contains(expected);
  }

  @Test
  void aThousandRequestsAreAccepted() {
    String[] parts = IntStream.range(0, 1000).mapToObj(i -> part(null, "GET accounts HTTP/1.1\n")).toArray(String[]::new);
    BatchJudge large = new BatchJudge(template, new BatchConfig(BatchConfig.MAX_BODY_BYTES_CEILING), Map.of("crm",
        new UpstreamConfig(URI.create("https://contoso.crm.dynamics.com"), UpstreamKind.dataverse, null, null, null)));
    Decision decision = large.judge("flow", "crm", "POST", "/api/data/v9.2/$batch", MULTIPART,
        Buffer.buffer(dataverseBatch(parts)));
    assertThat(decision).isInstanceOf(Decision.Allow.class);
    assertThat(((Decision.Allow) decision).requests()).isEqualTo(1000);
  }

  @Test
  void bareLineFeedsAreReadAsLineBreaksToo() {
    String body = dataverseBatch(part(null, "GET /api/data/v9.2/accounts HTTP/1.1\n")).replace("\r\n", "\n");
    assertThat(crm("flow", body)).isInstanceOf(Decision.Allow.class);
    // ... so a delimiter after a bare \n inside a body starts a part, and that part is judged.
    String smuggled = dataverseBatch(part(null, "POST /api/data/v9.2/accounts HTTP/1.1\nContent-Type: application/json\n\n"
        + "{}\n--" + BOUNDARY + "\n" + part(null, "DELETE /api/data/v9.2/accounts(" + ACCOUNT + ") HTTP/1.1\n")));
    assertThat(refusal(crm("flow", smuggled))).startsWith("batch-denied: 1 of 2").contains("DELETE");
  }

  @Test
  void theBoundaryMayBeQuotedAndRefusedWhenItIsNotABoundary() {
    String body = dataverseBatch(part(null, "GET accounts HTTP/1.1\n"));
    assertThat(judge.judge("flow", "crm", "POST", "/api/data/v9.2/$batch",
        "multipart/mixed; boundary=\"" + BOUNDARY + "\"", Buffer.buffer(body))).isInstanceOf(Decision.Allow.class);
    assertThat(refusal(judge.judge("flow", "crm", "POST", "/api/data/v9.2/$batch",
        "multipart/mixed; boundary=\"a b\"", Buffer.buffer(body)))).contains("the boundary 'a b' must be 1-70");
    assertThat(refusal(judge.judge("flow", "crm", "POST", "/api/data/v9.2/$batch",
        "multipart/mixed; boundary=a b", Buffer.buffer(body)))).contains("has something other than ';'");
    assertThat(refusal(judge.judge("flow", "crm", "POST", "/api/data/v9.2/$batch",
        MULTIPART + "; boundary=other", Buffer.buffer(body)))).contains("names the parameter 'boundary' twice");
  }

  @Test
  void theBoundIsAConfigChoiceWithinLimits() {
    assertThat(BatchConfig.defaults().maxBodyBytes()).isEqualTo(1024 * 1024);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new BatchConfig(0L))
        .hasMessage("maxBodyBytes 0 is out of range; give 1 to 16777216 bytes (default 1048576)");
  }
}
