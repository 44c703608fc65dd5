package dev.spgateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The scanner against Jackson as the oracle: the output parses to the input's tree with exactly the
 * top-level links replaced, wherever the chunks end.
 */
class JsonLinkScannerTest {

  static final ObjectMapper JSON = new ObjectMapper();
  static final String UPSTREAM = "https://contoso.crm.dynamics.com";
  static final String GATEWAY = "https://gw.contoso.com/crm";
  /** Dataverse's own shape: the paging cookie inside $skiptoken, encoded twice. */
  static final String DATAVERSE_NEXT = UPSTREAM + "/api/data/v9.2/accounts?$select=name&$skiptoken=%3Ccookie%20pagenumber=%222%22"
      + "%20pagingcookie=%22%253ccookie%2520page%253d%25221%2522%253e%253caccountid%2520last%253d%2522%257b70BF4D48-34CB-ED11"
      + "-B596-0022481D68CD%257d%2522%2520first%253d%2522%257b49B0BE2E-D01C-ED11-B83E-000D3A572421%257d%2522%2520%252f%253e"
      + "%253c%252faccount%253e%22%20istracking=%22False%22%20/%3E";

  static String rewrite(String link) {
    return link.startsWith(UPSTREAM + "/") ? GATEWAY + link.substring(UPSTREAM.length()) : null;
  }

  /** Feeds {@code body} cut at the given positions and returns what came out. */
  static byte[] scan(byte[] body, int... cuts) {
    JsonLinkScanner scanner = new JsonLinkScanner(JsonLinkScannerTest::rewrite);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int start = 0;
    for (int i = 0; i <= cuts.length; i++) {
      int end = i < cuts.length ? cuts[i] : body.length;
      byte[] chunk = java.util.Arrays.copyOfRange(body, start, end);
      // Chunks live at an offset inside a larger array, as Netty's heap buffers can.
      byte[] padded = new byte[chunk.length + 7];
      System.arraycopy(chunk, 0, padded, 3, chunk.length);
      scanner.feed(padded, 3, chunk.length, new JsonLinkScanner.Sink() {
        @Override
        public void copy(int from, int to) {
          out.write(padded, 3 + from, to - from);
        }

        @Override
        public void insert(byte[] bytes) {
          out.writeBytes(bytes);
        }
      });
      start = end;
    }
    scanner.end(new JsonLinkScanner.Sink() {
      @Override
      public void copy(int from, int to) {
        throw new AssertionError();
      }

      @Override
      public void insert(byte[] bytes) {
        out.writeBytes(bytes);
      }
    });
    return out.toByteArray();
  }

  static JsonNode expected(String body) throws Exception {
    ObjectNode tree = (ObjectNode) JSON.readTree(body);
    for (String name : new String[] {"@odata.nextLink", "@odata.deltaLink"}) {
      JsonNode link = tree.get(name);
      if (link != null && link.isTextual() && rewrite(link.asText()) != null) tree.put(name, rewrite(link.asText()));
    }
    return tree;
  }

  @Test
  void aDataverseNextLinkAfterValueIsRewrittenWhereverTheChunksEnd() throws Exception {
    String body = "{\"@odata.context\":\"" + UPSTREAM + "/api/data/v9.2/$metadata#accounts(name)\",\"value\":[{\"@odata.etag\":"
        + "\"W/\\\"1\\\"\",\"name\":\"A \\\"quoted\\\" [name] {x}\",\"accountid\":\"1\"},{\"name\":null,\"n\":-1.5e3}],"
        + "\"@odata.nextLink\":\"" + DATAVERSE_NEXT + "\"}";
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    JsonNode expected = expected(body);
    assertThat(expected.get("@odata.nextLink").asText()).startsWith(GATEWAY + "/api/data/v9.2/accounts?")
        .endsWith(DATAVERSE_NEXT.substring(UPSTREAM.length() + "/api/data/v9.2/accounts".length()));
    for (int cut = 0; cut <= bytes.length; cut++) {
      assertThat(JSON.readTree(scan(bytes, cut))).as("cut at %d", cut).isEqualTo(expected);
    }
    // Every byte its own chunk.
    int[] everyByte = new int[bytes.length - 1];
    for (int i = 0; i < everyByte.length; i++) everyByte[i] = i + 1;
    assertThat(JSON.readTree(scan(bytes, everyByte))).isEqualTo(expected);
  }

  @Test
  void aGraphNextLinkBeforeValueAndADeltaLinkAreRewrittenAndNothingElseChanges() throws Exception {
    String body = "{ \"@odata.context\" : \"https://graph.microsoft.com/v1.0/$metadata#users\",\n  \"@odata.nextLink\" :\n \""
        + UPSTREAM + "/v1.0/users?$top=2&$skiptoken=RFNwdAIAAQ\" , \"value\" : [ {\"@odata.nextLink\":\"" + UPSTREAM
        + "/nested\"} ], \"@odata.deltaLink\": \"" + UPSTREAM + "/v1.0/users/delta?$deltatoken=abc\" }";
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    String out = new String(scan(bytes), StandardCharsets.UTF_8);
    assertThat(out).isEqualTo(body.replace("\"" + UPSTREAM + "/v1.0/", "\"" + GATEWAY + "/v1.0/"));
    assertThat(out).contains("\"" + UPSTREAM + "/nested\""); // below the top level: not a paging link
    for (int cut = 0; cut <= bytes.length; cut++) {
      assertThat(new String(scan(bytes, cut), StandardCharsets.UTF_8)).as("cut at %d", cut).isEqualTo(out);
    }
  }

  @Test
  void foreignLinksEscapedLinksAndOtherKeysAreLeftAsTheyAre() throws Exception {
    String body = "{\"@odata.nextLink\":\"https://evil.example.com/v1.0/users\",\"next\":\"" + UPSTREAM + "/x\","
        + "\"@odata.deltaLink\":\"" + UPSTREAM.replace("/", "\\/") + "\\/v1.0\\/delta?a=\\u0026\"}";
    String out = new String(scan(body.getBytes(StandardCharsets.UTF_8), 20, 40), StandardCharsets.UTF_8);
    assertThat(out).contains("\"https://evil.example.com/v1.0/users\"", "\"next\":\"" + UPSTREAM + "/x\"");
    assertThat(JSON.readTree(out).get("@odata.deltaLink").asText()).isEqualTo(GATEWAY + "/v1.0/delta?a=&");
  }

  @Test
  void bodiesThatAreNotAJsonObjectOrAreBrokenPassUntouched() {
    for (String body : new String[] {"[{\"@odata.nextLink\":\"" + UPSTREAM + "/x\"}]", "not json \"@odata.nextLink\"",
        "{\"a\":[1,2}, \"@odata.nextLink\":\"" + UPSTREAM + "/x\"}", "{\"a\" 1, \"@odata.nextLink\":\"" + UPSTREAM + "/x\"}",
        "{\"a\":\"line\nbreak\",\"@odata.nextLink\":\"" + UPSTREAM + "/x\"}", "{\"@odata.nextLink\":\"" + UPSTREAM + "/x"}) {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      for (int cut = 0; cut <= bytes.length; cut++) {
        assertThat(new String(scan(bytes, cut), StandardCharsets.UTF_8)).as("%s cut at %d", body, cut).isEqualTo(body);
      }
    }
  }

  /** Strings are skipped eight bytes at a time: a quote, backslash or control character at any offset is still seen. */
  @Test
  void aSpecialByteAtEveryOffsetOfALongStringIsSeen() throws Exception {
    String link = "\"@odata.nextLink\":\"" + UPSTREAM + "/x\"";
    for (int at = 0; at < 40; at++) {
      String before = "a".repeat(at);
      String after = "b".repeat(40 - at);
      String escaped = "{\"value\":[\"" + before + "\\\"" + after + "\"]," + link + "}";
      assertThat(JSON.readTree(scan(escaped.getBytes(StandardCharsets.UTF_8)))).as("escaped quote at %d", at)
          .isEqualTo(expected(escaped));
      String control = "{\"value\":[\"" + before + "\u0001" + after + "\"]," + link + "}";
      assertThat(new String(scan(control.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8)).as("control at %d", at)
          .isEqualTo(control);
      String ended = "{\"value\":[\"" + before + "\",\"" + after + "\"]," + link + "}";
      assertThat(JSON.readTree(scan(ended.getBytes(StandardCharsets.UTF_8)))).as("quote at %d", at).isEqualTo(expected(ended));
    }
  }

  @Test
  void randomDocumentsMatchJacksonAtRandomCuts() throws Exception {
    Random random = new Random(11);
    for (int run = 0; run < 300; run++) {
      String body = randomPage(random);
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      int a = random.nextInt(bytes.length + 1);
      int b = a + random.nextInt(bytes.length - a + 1);
      assertThat(JSON.readTree(scan(bytes, a, b))).as(body).isEqualTo(expected(body));
    }
  }

  static String randomPage(Random random) throws Exception {
    ObjectNode page = JSON.createObjectNode();
    int fields = 1 + random.nextInt(5);
    boolean linkFirst = random.nextBoolean();
    if (linkFirst) page.put("@odata.nextLink", UPSTREAM + "/api?$skiptoken=" + random.nextInt() + "%22\\\"é");
    for (int i = 0; i < fields; i++) page.set("f" + i, randomValue(random, 0));
    if (!linkFirst) page.put("@odata.deltaLink", random.nextBoolean() ? UPSTREAM + "/d?x=" + random.nextLong() : "other");
    String text = JSON.writeValueAsString(page);
    return random.nextBoolean() ? JSON.writerWithDefaultPrettyPrinter().writeValueAsString(page) : text;
  }

  static JsonNode randomValue(Random random, int depth) {
    int kind = depth > 3 ? random.nextInt(4) : random.nextInt(6);
    return switch (kind) {
      case 0 -> JSON.getNodeFactory().textNode("s\"[{\\}" + random.nextInt() + "\u00e9\u20ac\n");
      case 1 -> JSON.getNodeFactory().numberNode(random.nextDouble() * 1e6 - 5e5);
      case 2 -> JSON.getNodeFactory().booleanNode(random.nextBoolean());
      case 3 -> JSON.getNodeFactory().nullNode();
      case 4 -> {
        var array = JSON.createArrayNode();
        for (int i = random.nextInt(4); i > 0; i--) array.add(randomValue(random, depth + 1));
        yield array;
      }
      default -> {
        var object = JSON.createObjectNode();
        for (int i = random.nextInt(4); i > 0; i--) object.set("@odata.nextLink" + (i == 1 ? "" : i), randomValue(random, depth + 1));
        yield object;
      }
    };
  }

  @Test
  void onlyABodyWithALinkKeysExactBytesMayHoldALink() {
    assertThat(mayHold("{\"@odata.context\":\"x\",\"value\":[]}")).isFalse();
    assertThat(mayHold("{\"@odata\\u002enextLink\":\"https://graph.microsoft.com/v1.0/users\"}")).as("escaped key").isFalse();
    assertThat(mayHold("{\"@odata.nextLinks\":\"x\"}")).isFalse();
    assertThat(mayHold("{\"a\":\"@odata.nextLink")).as("cut short").isFalse();
    assertThat(mayHold("{\"value\":[],\"@odata.nextLink\":\"x\"}")).isTrue();
    assertThat(mayHold("{\"@odata.deltaLink\":\"x\"}")).isTrue();
    assertThat(mayHold("{\"value\":[{\"@odata.nextLink\":\"x\"}]}")).as("nested: the scanner decides").isTrue();
  }

  private static boolean mayHold(String body) {
    return JsonLinkScanner.mayHoldLinks(io.netty.buffer.Unpooled.copiedBuffer(body, java.nio.charset.StandardCharsets.UTF_8));
  }
}
