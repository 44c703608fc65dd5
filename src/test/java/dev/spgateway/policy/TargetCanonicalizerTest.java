package dev.spgateway.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TargetCanonicalizerTest {

  /** Each kind of ambiguous target is refused with a reason that names it. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
      /v1.0/users/../groups            | dot segment
      /v1.0/users/./1                  | dot segment
      /v1.0/users/%2e%2e/groups        | encoded '.'
      /v1.0/users/%2E./groups          | encoded '.'
      /v1.0/users/%252e%252e/groups    | double encoding
      /v1.0/users%2Fgroups             | encoded '/'
      /v1.0/users%5cgroups             | encoded '\\'
      /v1.0/users\\groups              | backslash
      /v1.0/users;x=1/1                | path parameters
      /v1.0//users                     | empty segment
      /v1.0/users/                     | empty segment
      /v1.0/users#frag                 | fragment
      /v1.0/users/%zz                  | malformed percent-encoding
      /v1.0/users/%4                   | malformed percent-encoding
      /v1.0/users/%00                  | control character
      /v1.0/us ers                     | control, space or non-ASCII
      /v1.0/usérs                      | control, space or non-ASCII
      /v1.0/users/%C0%AE%C0%AE         | not valid UTF-8
      /v1.0/users/%EF%BC%8E%EF%BC%8E   | look-alike
      /v1.0/users/%27a%27              | encoded delimiter
      /v1.0/users/a.                   | ends with '.'
      /v1.0/users<x>                   | percent-encode it
      v1.0/users                       | must start with /
      /v1.0/users?$select=id&$select=x | given twice
      /v1.0/users?$select=id&&$top=1   | empty parameter
      /v1.0/users?$select              | has no '='
      /v1.0/users?$select=             | has no value
      /v1.0/users?$SELECT=id           | write the query option '$SELECT' as '$select'
      /v1.0/users?select=id            | read as '$select'
      /v1.0/users?%2524select=id       | percent-encoded
      /v1.0/users?%24%73elect=id       | percent-encoded
      /v1.0/users?%24SELECT=id         | percent-encoded
      /v1.0/users?%24select=a&$select=b | given twice
      /v1.0/users?%24format=json       | percent-encoded
      /v1.0/users?$format=json         | unknown query parameter
      /v1.0/users?api-version=1        | unknown query parameter
      /v1.0/users?$filter=a%ZZ         | malformed percent-encoding
      /v1.0/users?$filter=a b          | control, space or non-ASCII
      /v1.0/users?$filter=a%0Ab        | control character
      """)
  void refusesAmbiguousTargets(String target, String reason) {
    assertThatThrownBy(() -> TargetCanonicalizer.canonicalize(target)).isInstanceOf(BadTarget.class).hasMessageContaining(reason);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      /v1.0/%75sers/%7e1                            | /v1.0/users/~1
      /v1.0/users/alice%40contoso.com               | /v1.0/users/alice@contoso.com
      /v1.0/drives/x/root:/a%3Ab:/content           | refused
      /v1.0/users/alice@contoso.com                 | /v1.0/users/alice@contoso.com
      /v1.0/drives/b!x/root:/Zo%c3%ab%20a.txt:/content | /v1.0/drives/b!x/root:/Zo%C3%AB%20a.txt:/content
      /api/data/v9.2/accounts(name='A%20B')         | /api/data/v9.2/accounts(name='A%20B')
      """)
  void normalisesEscapesTheWayRfc3986Says(String target, String canonical) {
    if (canonical.equals("refused")) {
      assertThatThrownBy(() -> TargetCanonicalizer.canonicalize(target)).hasMessageContaining("encoded delimiter ':'");
      return;
    }
    assertThat("/" + String.join("/", TargetCanonicalizer.canonicalize(target).segments())).isEqualTo(canonical);
  }

  @org.junit.jupiter.api.Test
  void keepsQueryOptionsInOrderWithUpperCaseEscapesAndDecodesThemOnce() {
    CanonicalTarget target = TargetCanonicalizer.canonicalize("/v1.0/users?$filter=name%20eq%20%27a%2541%27&$top=5");
    assertThat(target.query()).isEqualTo("$filter=name%20eq%20%27a%2541%27&$top=5");
    assertThat(target.option("$filter").decoded()).isEqualTo("name eq 'a%41'");
    assertThat(TargetCanonicalizer.canonicalize("/v1.0/users?").options()).isEmpty();
  }

  @org.junit.jupiter.api.Test
  void readsAPercentEncodedDollarAsTheOptionItNamesInItsCanonicalForm() {
    // Python's requests and URLSearchParams send %24; Graph's Outlook links carry it too.
    CanonicalTarget target = TargetCanonicalizer.canonicalize("/v1.0/me/messages?%24select=sender%2csubject&%24skip=10");
    assertThat(target.optionNames()).containsExactly("$select", "$skip");
    assertThat(target.query()).isEqualTo("$select=sender%2Csubject&$skip=10");
  }

  /** Dataverse's nextLink: the paging cookie inside $skiptoken is encoded twice; it must reach Dataverse unchanged. */
  static final String DATAVERSE_SKIPTOKEN = "%3Ccookie%20pagenumber=%222%22%20pagingcookie=%22%253ccookie%2520page%253d"
      + "%25221%2522%253e%253caccountid%2520last%253d%2522%257b70BF4D48-34CB-ED11-B596-0022481D68CD%257d%2522%2520first"
      + "%253d%2522%257b49B0BE2E-D01C-ED11-B83E-000D3A572421%257d%2522%2520%252f%253e%253c%252fcookie%253e%22%20istracking"
      + "=%22False%22%20/%3E";

  @org.junit.jupiter.api.Test
  void keepsDataversesDoubleEncodedPagingCookieByteForByte() {
    String query = "$select=name&$skiptoken=" + DATAVERSE_SKIPTOKEN;
    CanonicalTarget target = TargetCanonicalizer.canonicalize("/api/data/v9.2/accounts?" + query);
    assertThat(target.query()).isEqualTo(query);
    assertThat(target.option("$skiptoken").decoded()).startsWith("<cookie pagenumber=\"2\" pagingcookie=\"%253ccookie%2520"
        .replace("%25", "%")).endsWith("istracking=\"False\" />");
  }

  @org.junit.jupiter.api.Test
  void refusesOverlongPathsQueriesAndSegmentCounts() {
    assertThatThrownBy(() -> TargetCanonicalizer.canonicalize("/" + "a".repeat(TargetCanonicalizer.MAX_PATH)))
        .hasMessageContaining("longer than");
    assertThatThrownBy(() -> TargetCanonicalizer.canonicalize("/a?$filter=" + "a".repeat(TargetCanonicalizer.MAX_QUERY)))
        .hasMessageContaining("longer than");
    assertThatThrownBy(() -> TargetCanonicalizer.canonicalize("/a".repeat(TargetCanonicalizer.MAX_SEGMENTS + 1)))
        .hasMessageContaining("segments");
  }
}
