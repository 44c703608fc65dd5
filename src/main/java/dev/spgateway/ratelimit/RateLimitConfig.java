package dev.spgateway.ratelimit;

import static dev.spgateway.check.Problems.field;

import dev.spgateway.check.Problems;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * The {@code ratelimit:} section: where budgets are kept, the daily budget of each service principal,
 * and how many requests may be in flight at once towards one Dataverse environment.
 *
 * @param store {@code local} (in this process's memory, the default) or {@code redis} (shared by every
 *     gateway that names the same Redis)
 * @param redis where Redis is and what to do while it cannot be reached; required when store is redis
 * @param servicePrincipals daily budgets by service principal name, counted per upstream
 * @param concurrency the cap on requests in flight per service principal and Dataverse environment
 */
public record RateLimitConfig(
    StoreKind store, Redis redis, Map<String, Budget> servicePrincipals, Concurrency concurrency) {

  public RateLimitConfig {
    if (store == null) store = StoreKind.local;
    servicePrincipals = servicePrincipals == null ? Map.of() : Map.copyOf(servicePrincipals);
    if (concurrency == null) concurrency = Concurrency.defaults();
  }

  public static RateLimitConfig defaults() {
    return new RateLimitConfig(null, null, null, null);
  }

  /** The section's own fields; that each budget names a configured service principal is checked by config. */
  public void check(String path, Problems problems) {
    if (store == StoreKind.redis) {
      if (redis == null || redis.url() == null) {
        problems.add(field(path, "redis.url"), "missing; store: redis needs one, e.g. redis: { url: \"redis://127.0.0.1:6379\" }");
      } else {
        String scheme = redis.url().getScheme();
        if (!"redis".equals(scheme) && !"rediss".equals(scheme) || redis.url().getHost() == null) {
          problems.add(field(path, "redis.url"), "is not a Redis URL; write redis://HOST:6379 (or rediss:// for TLS)");
        }
        if (redis.timeout().isZero() || redis.timeout().isNegative()) {
          problems.add(field(path, "redis.timeout"), "must be longer than zero; the default, 500ms, rides out a slow "
              + "reply on a busy host");
        }
        if (redis.failuresBeforeOutage() < 1) {
          problems.add(field(path, "redis.failuresBeforeOutage"), "must be at least 1 (default 3)");
        }
        if (redis.replicas() < 1) {
          problems.add(field(path, "redis.replicas"), "must be at least 1: the number of gateways sharing this Redis");
        }
      }
    }
    servicePrincipals.forEach((name, budget) -> {
      if (budget == null || budget.perDay() == null || budget.perDay() < 1) {
        problems.add(field(field(field(path, "servicePrincipals"), name), "perDay"), "give the requests per 24 hours "
            + "as a whole number of at least 1; Power Platform's figure for service-principal flows is 25000");
      }
    });
    if (concurrency.perServicePrincipalAndEnvironment() < 1) {
      problems.add(field(path, "concurrency.perServicePrincipalAndEnvironment"), "must be at least 1; Dataverse allows 52");
    }
    if (concurrency.queue() < 0) problems.add(field(path, "concurrency.queue"), "must be 0 (no queue) or more");
  }

  public enum StoreKind {
    local,
    redis
  }

  /** What a decision does while Redis cannot be reached. */
  public enum Unavailable {
    /** Decide with this process's own in-memory budgets: callers keep working, limits hold per gateway. */
    local,
    /** Refuse with 503: no request goes out uncounted. */
    deny
  }

  /**
   * @param url {@code redis://host:port[/db]}, or {@code rediss://} for TLS; a password goes in the URL
   *     ({@code redis://:${REDIS_PASSWORD}@host:6379}) and is never logged
   * @param timeout how long one decision may wait for Redis; a decision that waits longer is made without it
   * @param onUnavailable {@code local} (the default) or {@code deny}
   * @param failuresBeforeOutage Redis is declared unavailable (and no longer asked, but for one probe a
   *     second) after this many failed decisions in a row, each sent after the previous failure was seen:
   *     requests queued behind one slow reply fail together and count once
   * @param replicas how many gateways share this Redis: while it cannot be reached, each gateway spends at
   *     most {@code 1/replicas} of every budget on its own, counting what it spent through Redis too
   */
  public record Redis(URI url, Duration timeout, Unavailable onUnavailable, Integer failuresBeforeOutage,
      Integer replicas) {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(500);

    public Redis {
      if (timeout == null) timeout = DEFAULT_TIMEOUT;
      if (onUnavailable == null) onUnavailable = Unavailable.local;
      if (failuresBeforeOutage == null) failuresBeforeOutage = 3;
      if (replicas == null) replicas = 1;
    }

    public Redis(URI url, Duration timeout, Unavailable onUnavailable) {
      this(url, timeout, onUnavailable, null, null);
    }
  }

  /**
   * @param perDay requests per rolling 24 hours for this service principal on each upstream. Power
   *     Platform's figure for service-principal flows on standard connectors is 25,000.
   */
  public record Budget(Long perDay) {}

  /**
   * @param perServicePrincipalAndEnvironment requests in flight at once; 52 is Dataverse's
   *     service-protection limit on concurrent requests per user
   * @param queue how many more may wait for a free slot
   * @param queueTimeout how long one may wait before it is refused with 429
   */
  public record Concurrency(Integer perServicePrincipalAndEnvironment, Integer queue, Duration queueTimeout) {

    public static final int DATAVERSE_CONCURRENT_REQUESTS = 52;

    public Concurrency {
      if (perServicePrincipalAndEnvironment == null) perServicePrincipalAndEnvironment = DATAVERSE_CONCURRENT_REQUESTS;
      if (queue == null) queue = 100;
      if (queueTimeout == null) queueTimeout = Duration.ofSeconds(2);
    }

    static Concurrency defaults() {
      return new Concurrency(null, null, null);
    }
  }
}
