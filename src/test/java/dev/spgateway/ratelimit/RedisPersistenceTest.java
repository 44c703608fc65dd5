package dev.spgateway.ratelimit;

import static dev.spgateway.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What Redis keeps across its own restart, as the gateway tells the operator at start. */
class RedisPersistenceTest {

  @TempDir Path dir;
  final Vertx vertx = Vertx.vertx();
  RedisServer redis;

  @AfterEach
  void stop() {
    await(vertx.close());
    if (redis != null) redis.close();
  }

  @Test
  void noPersistenceAtAllIsWarnedAbout() {
    redis = RedisServer.start("--save", "", "--appendonly", "no");
    assertThat(warning()).isEqualTo("Redis at 127.0.0.1:" + redis.url().getPort() + " keeps no budgets on disk (no "
        + "append-only file, no snapshots); a Redis restart hands every caller its budgets back. Set appendonly yes "
        + "(docs/RATELIMIT.md)");
  }

  @Test
  void snapshotsAloneAreWarnedAboutToo() {
    redis = RedisServer.start("--save", "900", "1", "--appendonly", "no", "--dir", dir.toString());
    assertThat(warning()).contains("keeps budgets only in snapshots (save '900 1')", "Set appendonly yes");
  }

  @Test
  void anAppendOnlyFileIsWhatBudgetsNeed() {
    redis = RedisServer.start("--appendonly", "yes", "--dir", dir.toString());
    assertThat(warning()).isNull();
  }

  /** Managed Redis services disable CONFIG: INFO alone still tells that there is no append-only file. */
  @Test
  void aRedisWithoutConfigIsToleratedAndStillWarnedAbout() {
    redis = RedisServer.start("--save", "", "--appendonly", "no", "--rename-command", "CONFIG", "\"\"");
    assertThat(redis.command("CONFIG", "GET", "save")).startsWith("-ERR unknown command");
    assertThat(warning()).contains("reports no append-only file (aof_enabled:0)", "CONFIG is disabled",
        "Set appendonly yes");
  }

  private String warning() {
    RedisBudgetStore store = new RedisBudgetStore(vertx, new RateLimitConfig.Redis(redis.url(), null, null));
    try {
      return await(store.persistenceWarning());
    } finally {
      store.close();
    }
  }
}
