package dev.spgateway.ratelimit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Budgets in Redis, shared by every gateway that uses the same one. Each decision is one round trip:
 * {@code EVALSHA} of {@code ratelimit/take.lua}, which judges and spends atomically inside Redis. The
 * script is sent in full ({@code EVAL}) only when Redis does not know it yet (first use, after a restart).
 */
public final class RedisBudgetStore implements BudgetStore {

  /** One hash tag for every key: a Redis Cluster keeps them in one slot, as a multi-key script needs. */
  static final String KEY_PREFIX = "{sp-gateway}:";
  private static final String SCRIPT = script();
  private static final String SHA = sha1(SCRIPT);

  private final Redis redis;
  private final long timeoutMillis;
  private final String where;

  public RedisBudgetStore(Vertx vertx, RateLimitConfig.Redis config) {
    this.timeoutMillis = config.timeout().toMillis();
    this.where = config.url().getHost() + ":" + (config.url().getPort() < 0 ? 6379 : config.url().getPort());
    RedisOptions options = new RedisOptions().setConnectionString(config.url().toString())
        .setMaxPoolSize(16).setMaxPoolWaiting(1024);
    options.getNetClientOptions().setConnectTimeout((int) Math.max(1, timeoutMillis)).setTcpNoDelay(true);
    this.redis = Redis.createClient(vertx, options);
  }

  @Override
  public Future<Verdict> take(String holdKey, List<Limit> limits, int cost, long nowMicros) {
    List<String> keys = new ArrayList<>(limits.size() + 1);
    List<String> args = new ArrayList<>(3 + 3 * limits.size());
    keys.add(KEY_PREFIX + holdKey);
    args.add(Long.toString(nowMicros));
    args.add(Integer.toString(cost));
    args.add(Integer.toString(Limit.WINDOW_BUCKETS));
    for (Limit limit : limits) {
      keys.add(KEY_PREFIX + limit.key());
      if (limit instanceof Limit.Rate rate) {
        args.addAll(List.of("r", Long.toString(rate.intervalMicros()), Integer.toString(rate.burst())));
      } else {
        Limit.Quota quota = (Limit.Quota) limit;
        args.addAll(List.of("q", Long.toString(quota.quota()), Long.toString(quota.bucketMicros())));
      }
    }
    return eval(keys, args).map(reply -> verdict(reply, limits));
  }

  private Future<Response> eval(List<String> keys, List<String> args) {
    return redis.send(script(Command.EVALSHA, SHA, keys, args))
        .recover(failure -> failure.getMessage() != null && failure.getMessage().startsWith("NOSCRIPT")
            ? redis.send(script(Command.EVAL, SCRIPT, keys, args))
            : Future.failedFuture(failure))
        .timeout(timeoutMillis, TimeUnit.MILLISECONDS);
  }

  private static Request script(Command command, String script, List<String> keys, List<String> args) {
    Request request = Request.cmd(command).arg(script).arg(keys.size());
    keys.forEach(request::arg);
    args.forEach(request::arg);
    return request;
  }

  private static Verdict verdict(Response reply, List<Limit> limits) {
    int refused = reply.get(0).toInteger();
    String refusedBy = refused == 0 ? null : refused == 1 ? Verdict.UPSTREAM_HOLD : limits.get(refused - 2).name();
    List<Verdict.Standing> standings = new ArrayList<>(limits.size());
    for (int i = 0; i < limits.size(); i++) {
      standings.add(new Verdict.Standing(limits.get(i), reply.get(2 + 2 * i).toLong(), reply.get(3 + 2 * i).toLong()));
    }
    return new Verdict(refusedBy, reply.get(1).toLong(), standings);
  }

  /** Held until the later of what Redis has and {@code untilMicros}, expiring by itself then. */
  @Override
  public Future<Void> hold(String holdKey, long nowMicros, long untilMicros) {
    return redis.send(Request.cmd(Command.EVAL).arg(HOLD_SCRIPT).arg(1).arg(KEY_PREFIX + holdKey)
            .arg(Long.toString(nowMicros)).arg(Long.toString(untilMicros)))
        .timeout(timeoutMillis, TimeUnit.MILLISECONDS)
        .mapEmpty();
  }

  private static final String HOLD_SCRIPT = """
      local now, hold_until = tonumber(ARGV[1]), tonumber(ARGV[2])
      local held = tonumber(redis.call('GET', KEYS[1]) or '0')
      if hold_until > held then
        redis.call('SET', KEYS[1], ARGV[2], 'PX', math.max(1, math.ceil((hold_until - now) / 1000)))
      end""";

  /**
   * What the operator should know about Redis keeping budgets across its own restart: null when it writes
   * an append-only file, otherwise one line saying what it does instead. {@code CONFIG} is disabled on most
   * managed Redis services; then only {@code INFO persistence} is read.
   */
  public Future<String> persistenceWarning() {
    String fix = "; a Redis restart hands every caller its budgets back. Set appendonly yes (docs/RATELIMIT.md)";
    return redis.send(Request.cmd(Command.INFO).arg("persistence")).compose(info -> {
      if (info.toString().contains("aof_enabled:1")) return Future.succeededFuture((String) null);
      return redis.send(Request.cmd(Command.CONFIG).arg("GET").arg("save")).map(reply -> {
        Response value = reply.containsKey("save") ? reply.get("save") : reply.size() > 1 ? reply.get(1) : null;
        String save = value == null ? "" : value.toString().trim();
        return save.isEmpty()
            ? "Redis at " + where + " keeps no budgets on disk (no append-only file, no snapshots)" + fix
            : "Redis at " + where + " keeps budgets only in snapshots (save '" + save + "'), so what was spent since "
                + "the last one is forgotten" + fix;
      }).otherwise(configDisabled -> "Redis at " + where + " reports no append-only file (aof_enabled:0), and its "
          + "snapshot settings cannot be read (CONFIG is disabled, as on managed Redis); unless the service persists "
          + "it otherwise" + fix.replaceFirst("^; a", ", a"));
    }).timeout(Math.max(timeoutMillis, 5_000), TimeUnit.MILLISECONDS);
  }

  @Override
  public Future<Void> close() {
    redis.close();
    return Future.succeededFuture();
  }

  private static String script() {
    try (InputStream in = RedisBudgetStore.class.getResourceAsStream("/ratelimit/take.lua")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String sha1(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
