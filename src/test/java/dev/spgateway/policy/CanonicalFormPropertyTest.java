package dev.spgateway.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.policy.Decision.Allow;
import java.nio.ByteBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * Mutations of allowed targets (encodings, dots, case, extra segments, query options): whatever the
 * engine allows, percent-decoded once as Graph and Dataverse decode it (and case-folded for Graph),
 * names a path inside an allowed template, with the template's method and only allowed options. The
 * oracle is written independently of the engine: regular expressions over the decoded path.
 */
class CanonicalFormPropertyTest {

  static final String GUID = "0a1b2c3d-0000-4000-8000-00000000abcd";

  static final PolicyEngine ENGINE = PolicyFixtures.engine("""
      - upstream: graph
        as: finance
        query: { $select: true, $top: 10 }
        allow:
          - "GET /v1.0/users"
          - "GET /v1.0/users/{id}"
          - rule: "POST /v1.0/users/{id}/sendMail"
            query: {}
          - "GET /v1.0/groups/{id:guid}"
          - "GET /v1.0/sites/{site}/drive/root:/Invoices/**"
      - upstream: crm
        as: finance
        query: { $select: true, $expand: { properties: [ primarycontactid ], depth: 1 } }
        entitySets: { accounts: [ read ] }
        allow: [ "GET /api/data/v9.2/WhoAmI" ]
      """);

  /** What each upstream allows, as method + regex over the once-decoded path (one segment: no '/'). */
  record Allowed(String method, Pattern path, Set<String> options) {}

  static final String SEGMENT = "[^/]+";
  static final Set<String> GRAPH_OPTIONS = Set.of("$select", "$top");
  static final List<Allowed> GRAPH = List.of(
      new Allowed("GET", Pattern.compile("/v1\\.0/users", Pattern.CASE_INSENSITIVE), GRAPH_OPTIONS),
      new Allowed("GET", Pattern.compile("/v1\\.0/users/" + SEGMENT, Pattern.CASE_INSENSITIVE), GRAPH_OPTIONS),
      new Allowed("POST", Pattern.compile("/v1\\.0/users/" + SEGMENT + "/sendmail", Pattern.CASE_INSENSITIVE), Set.of()),
      new Allowed("GET", Pattern.compile("/v1\\.0/groups/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", Pattern.CASE_INSENSITIVE),
          GRAPH_OPTIONS),
      new Allowed("GET", Pattern.compile("/v1\\.0/sites/" + SEGMENT + "/drive/root:/invoices/.+", Pattern.CASE_INSENSITIVE),
          GRAPH_OPTIONS));
  static final Set<String> CRM_OPTIONS = Set.of("$select", "$expand");
  static final List<Allowed> CRM = List.of(
      new Allowed("GET", Pattern.compile("/api/data/v9\\.2/WhoAmI"), CRM_OPTIONS),
      new Allowed("GET", Pattern.compile("/api/data/v9\\.2/accounts"), CRM_OPTIONS),
      new Allowed("GET", Pattern.compile("/api/data/v9\\.2/accounts\\([^/]+\\)"), CRM_OPTIONS));

  static final List<String> GRAPH_BASES = List.of("/v1.0/users", "/v1.0/users/alice@contoso.com?$select=id",
      "/v1.0/users/42/sendMail", "/v1.0/groups/" + GUID + "?$top=5",
      "/v1.0/sites/contoso.sharepoint.com,1,2/drive/root:/Invoices/2026/a.pdf:/content");
  static final List<String> CRM_BASES = List.of("/api/data/v9.2/WhoAmI", "/api/data/v9.2/accounts?$select=name",
      "/api/data/v9.2/accounts(" + GUID + ")", "/api/data/v9.2/accounts(accountnumber='A1')?$expand=primarycontactid");

  static final List<String> SEGMENTS = List.of("..", ".", "%2e", "%2E%2e", "%252e", "x", "$ref", "$batch", "$count", "manager",
      "%2F", "a%2Fb", "a;b", "", "%C0%AE", "%EF%BC%8F", "%EF%BC%8E%EF%BC%8E", "USERS", "groups", "sendMail", "root:",
      "a:", "Invoices", "..%5c", "accounts(x)", "%61ccounts", "%75sers", "delta()", "a%00", "%40");
  static final List<String> OPTIONS = List.of("$select=id", "$top=5", "$top=50", "$expand=manager", "$expand=primarycontactid",
      "$expand=owninguser", "$expand=primarycontactid($expand=x)", "select=id", "$SELECT=id", "%24top=1", "$filter=a",
      "$select=a&$select=b", "#x", "$select=a%2Fb", "$skip=1", "", "$top=1%30", "%24select=id", "%2524select=id",
      "%24SELECT=id", "%24select=a&$select=b", "$skiptoken=X%27ab%27", "$deltatoken=d", "%24skip=2", "%24%73elect=id",
      "$skiptoken=%3Ccookie%20pagenumber=%222%22%20pagingcookie=%22%253ccookie%2520page%253d%25221%2522%253e%22%20/%3E");
  /** Paging options a GET rule accepts without listing them: those Graph's and Dataverse's next links carry. */
  static final Set<String> GRAPH_PAGING = Set.of("$skip", "$skiptoken", "$deltatoken");
  static final Set<String> CRM_PAGING = Set.of("$skiptoken", "$deltatoken");
  static final List<String> METHODS = List.of("GET", "GET", "GET", "POST", "HEAD", "DELETE");

  record Request(String method, String upstream, String target) {}

  @Provide
  Arbitrary<Request> requests() {
    Arbitrary<Boolean> graph = Arbitraries.of(true, false);
    return Combinators.combine(graph, Arbitraries.longs(), Arbitraries.integers().between(0, 4))
        .as((isGraph, seed, mutations) -> {
          Random random = new Random(seed);
          List<String> bases = isGraph ? GRAPH_BASES : CRM_BASES;
          String target = bases.get(random.nextInt(bases.size()));
          for (int i = 0; i < mutations; i++) target = mutate(target, random);
          String method = random.nextInt(3) == 0 ? METHODS.get(random.nextInt(METHODS.size()))
              : target.contains("sendMail") ? "POST" : "GET";
          return new Request(method, isGraph ? "graph" : "crm", target);
        });
  }

  @Property(tries = 3000)
  void whateverIsAllowedNamesAPathInsideAnAllowedTemplate(@ForAll("requests") Request request) {
    Decision decision = ENGINE.decide(PolicyFixtures.CALLER, new PolicyRequest(request.method(), request.upstream(),
        request.target(), null, 0));
    Statistics.label("decision").collect(decision instanceof Allow ? "allowed" : "denied");
    Statistics.label("decision").coverage(coverage -> {
      coverage.check("allowed").percentage(p -> p > 10);
      coverage.check("denied").percentage(p -> p > 30);
    });
    if (!(decision instanceof Allow allow)) return;

    String forwarded = allow.target();
    int question = forwarded.indexOf('?');
    String path = decodeOnce(question < 0 ? forwarded : forwarded.substring(0, question));
    for (String segment : path.substring(1).split("/", -1)) {
      assertThat(segment).as("segment of %s from %s", path, request.target()).isNotEmpty().isNotIn(".", "..");
    }
    assertThat(path).doesNotContain("\\", ";", "?", "#").doesNotContainPattern("\\p{Cntrl}").doesNotContainIgnoringCase("$batch");
    String method = request.method().equals("HEAD") ? "GET" : request.method();
    List<String> options = question < 0 ? List.of()
        : List.of(forwarded.substring(question + 1).split("&")).stream().map(o -> o.substring(0, o.indexOf('='))).toList();
    assertThat(options).as("option names are forwarded in their one canonical form").allMatch(o -> o.matches("\\$[a-z]+"));
    Set<String> paging = !method.equals("GET") ? Set.of() : request.upstream().equals("graph") ? GRAPH_PAGING : CRM_PAGING;
    List<String> judged = options.stream().filter(o -> !paging.contains(o)).toList();
    assertThat(request.upstream().equals("graph") ? GRAPH : CRM)
        .as("%s %s (from %s) is inside an allowed template", method, path, request.target())
        .anyMatch(allowed -> allowed.method().equals(method) && allowed.path().matcher(path).matches()
            && allowed.options().containsAll(judged));
  }

  private static String mutate(String target, Random random) {
    int question = target.indexOf('?');
    String path = question < 0 ? target : target.substring(0, question);
    String query = question < 0 ? "" : target.substring(question);
    switch (random.nextInt(7)) {
      case 0 -> { // insert a segment
        String[] segments = path.substring(1).split("/", -1);
        int at = random.nextInt(segments.length + 1);
        List<String> list = new java.util.ArrayList<>(List.of(segments));
        list.add(at, SEGMENTS.get(random.nextInt(SEGMENTS.size())));
        path = "/" + String.join("/", list);
      }
      case 1 -> { // replace a segment
        String[] segments = path.substring(1).split("/", -1);
        segments[random.nextInt(segments.length)] = SEGMENTS.get(random.nextInt(SEGMENTS.size()));
        path = "/" + String.join("/", segments);
      }
      case 2 -> { // percent-encode one character, in either case of hex
        int at = 1 + random.nextInt(path.length() - 1);
        String hex = String.format(random.nextBoolean() ? "%%%02X" : "%%%02x", (int) path.charAt(at));
        path = path.substring(0, at) + hex + path.substring(at + 1);
      }
      case 3 -> path = path.replace("%", "%25"); // double-encode
      case 4 -> { // flip the case of one character
        int at = random.nextInt(path.length());
        char c = path.charAt(at);
        char flipped = Character.isUpperCase(c) ? Character.toLowerCase(c) : Character.toUpperCase(c);
        path = path.substring(0, at) + flipped + path.substring(at + 1);
      }
      case 5 -> { // add a query option
        String option = OPTIONS.get(random.nextInt(OPTIONS.size()));
        query = query.isEmpty() ? "?" + option : query + "&" + option;
      }
      default -> query = ""; // drop the query
    }
    return path + query;
  }

  /** Percent-decodes once, strictly, as the upstreams do; an invalid escape here means the engine let one through. */
  private static String decodeOnce(String text) {
    ByteBuffer bytes = ByteBuffer.allocate(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '%') {
        bytes.put((byte) Integer.parseInt(text.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        bytes.put((byte) c);
      }
    }
    bytes.flip();
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).decode(bytes).toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new AssertionError("forwarded invalid UTF-8: " + text, e);
    }
  }
}
