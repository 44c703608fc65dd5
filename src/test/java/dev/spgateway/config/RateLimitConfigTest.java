package dev.spgateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spgateway.config.ConfigException.ConfigProblem;
import dev.spgateway.ratelimit.CallerLimits;
import dev.spgateway.ratelimit.RateLimitConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code ratelimit} section and callers' {@code limits}: defaults, binding, and problems with their fixes. */
class RateLimitConfigTest {

  final ConfigLoader loader = new ConfigLoader(Map.<String, String>of()::get);

  @Test
  void withoutASectionBudgetsAreLocalAndTheConcurrencyCapIsDataverses() {
    RateLimitConfig config = loader.parse("gateway.yaml", ConfigLoaderTest.VALID).ratelimit();
    assertThat(config.store()).isEqualTo(RateLimitConfig.StoreKind.local);
    assertThat(config.concurrency().perServicePrincipalAndEnvironment()).isEqualTo(52);
    assertThat(config.concurrency().queue()).isEqualTo(100);
    assertThat(config.concurrency().queueTimeout()).isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void bindsRedisBudgetsAndCallerLimits() {
    GatewayConfig config = loader.parse("gateway.yaml", withLimits("{ perSecond: 0.5, perDay: 25000 }") + """
        ratelimit:
          store: redis
          redis: { url: "redis://127.0.0.1:6379" }
          servicePrincipals: { finance: { perDay: 25000 } }
        """);
    // A slow reply on a busy host is not an outage: half a second, and three failures in a row.
    assertThat(config.ratelimit().redis().timeout()).isEqualTo(Duration.ofMillis(500));
    assertThat(config.ratelimit().redis().failuresBeforeOutage()).isEqualTo(3);
    assertThat(config.ratelimit().redis().replicas()).isEqualTo(1);
    assertThat(config.ratelimit().redis().onUnavailable()).isEqualTo(RateLimitConfig.Unavailable.local);
    assertThat(config.ratelimit().servicePrincipals().get("finance").perDay()).isEqualTo(25_000);
    CallerLimits limits = config.callers().get("invoice-flow").limits();
    assertThat(limits.perSecond()).isEqualTo(0.5);
    assertThat(limits.effectiveBurst()).as("one second's worth, at least one").isEqualTo(1);
  }

  @Test
  void theProductionExampleIsValid() throws Exception {
    String example = dev.spgateway.testing.ExampleConfig.text();
    GatewayConfig config = loader.parse("gateway.example.yaml", example);
    assertThat(config.callers().get("invoice-flow").limits().perDay()).isEqualTo(25_000);
  }

  @Test
  void everyMistakeIsReportedWithItsPathAndFix() {
    String yaml = withLimits("{ burst: 0, perDay: 0 }") + """
        ratelimit:
          store: redis
          redis: { url: "http://127.0.0.1:6379", timeout: 0ms }
          servicePrincipals: { finanse: { perDay: 0 } }
          concurrency: { perServicePrincipalAndEnvironment: 0 }
        """;
    assertThatThrownBy(() -> loader.parse("gateway.yaml", yaml)).isInstanceOfSatisfying(ConfigException.class,
        e -> assertThat(e.problems()).extracting(ConfigProblem::toString).contains(
            problem("ratelimit.redis.url", "is not a Redis URL; write redis://HOST:6379 (or rediss:// for TLS)"),
            problem("ratelimit.redis.timeout", "must be longer than zero; the default, 500ms, rides out a slow reply on a busy host"),
            problem("ratelimit.servicePrincipals.finanse", "unknown service principal 'finanse'; known: finance"),
            problem("ratelimit.servicePrincipals.finanse.perDay", "give the requests per 24 hours as a whole number "
                + "of at least 1; Power Platform's figure for service-principal flows is 25000"),
            problem("ratelimit.concurrency.perServicePrincipalAndEnvironment", "must be at least 1; Dataverse allows 52"),
            problem("callers.invoice-flow.limits.burst",
                "needs perSecond: a burst is how far above the sustained rate a caller may go"),
            problem("callers.invoice-flow.limits.perDay", "must be at least 1")));
  }

  @Test
  void redisNeedsAUrl() {
    assertThatThrownBy(() -> loader.parse("gateway.yaml", ConfigLoaderTest.VALID + "ratelimit: { store: redis }\n"))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).extracting(ConfigProblem::path)
            .containsExactly("ratelimit.redis.url"));
  }

  private static String withLimits(String limits) {
    return ConfigLoaderTest.VALID.replace("    routes:", "    limits: " + limits + "\n    routes:");
  }

  private static String problem(String path, String message) {
    return new ConfigProblem(path, message).toString();
  }
}
