package dev.spgateway.ratelimit;

import static dev.spgateway.ratelimit.RateLimiter.CALLER_DAY;
import static dev.spgateway.ratelimit.RateLimiter.CALLER_RATE;
import static dev.spgateway.ratelimit.RateLimiter.SERVICE_PRINCIPAL_DAY;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * The limits of one config: each caller's own and each service principal's daily budget. A reload makes a new
 * one; what has been spent stays in the {@link BudgetStore}, under keys named after the caller or service
 * principal, so a changed limit applies to what was already spent.
 */
public final class Budgets {

  private final Map<String, CallerLimits> callers;
  private final Map<String, RateLimitConfig.Budget> servicePrincipals;
  /** The limits of each caller, service principal and upstream, built on first use. */
  private final Map<List<String>, Limits> limits = new ConcurrentHashMap<>();

  Budgets(Map<String, CallerLimits> callers, Map<String, RateLimitConfig.Budget> servicePrincipals) {
    this.callers = Map.copyOf(callers);
    this.servicePrincipals = Map.copyOf(servicePrincipals);
  }

  Limits of(String caller, String servicePrincipal, String upstream) {
    return limits.computeIfAbsent(List.of(caller, servicePrincipal, upstream),
        key -> limitsOf(caller, servicePrincipal, upstream));
  }

  private Limits limitsOf(String caller, String servicePrincipal, String upstream) {
    List<Limit> list = new ArrayList<>(3);
    CallerLimits own = callers.get(caller);
    if (own != null && own.perSecond() != null) {
      list.add(Limit.Rate.perSecond(CALLER_RATE, "rate:" + caller, own.perSecond(), own.effectiveBurst()));
    }
    if (own != null && own.perDay() != null) {
      list.add(new Limit.Quota(CALLER_DAY, "day:" + caller, own.perDay(), Limit.Quota.DAY_MICROS));
    }
    RateLimitConfig.Budget budget = servicePrincipals.get(servicePrincipal);
    if (budget != null && budget.perDay() != null) {
      list.add(new Limit.Quota(SERVICE_PRINCIPAL_DAY, "day:" + servicePrincipal + ":" + upstream, budget.perDay(),
          Limit.Quota.DAY_MICROS));
    }
    String policy = list.isEmpty() ? null : list.stream().map(Limit::policy).collect(Collectors.joining(", "));
    return new Limits(caller, servicePrincipal, upstream, RateLimiter.holdKey(servicePrincipal, upstream),
        List.copyOf(list), policy);
  }

  /** The limits one caller meets through one service principal on one upstream. */
  record Limits(String caller, String servicePrincipal, String upstream, String holdKey, List<Limit> limits,
      String policy) {

    /** Tells the caller which limit it ran into, in words it can act on. */
    String explain(String limit, int cost, String wait) {
      String when = wait == null ? "" : "; try again in " + wait + " s";
      if (wait == null) {
        long capacity = limits.stream().filter(l -> l.name().equals(limit)).mapToLong(Limit::capacity).findFirst().orElse(0);
        return "this request counts " + cost + " (a $batch counts each part), more than the whole " + limit
            + " budget of " + capacity + "; split it";
      }
      return switch (limit) {
        case CALLER_RATE -> "caller '" + caller + "' is sending faster than its limits.perSecond allows" + when;
        case CALLER_DAY -> "caller '" + caller + "' has used its limits.perDay for the last 24 hours" + when;
        case SERVICE_PRINCIPAL_DAY -> "service principal '" + servicePrincipal + "' has used its daily budget on '"
            + upstream + "' (ratelimit.servicePrincipals." + servicePrincipal + ".perDay)" + when;
        case Verdict.UPSTREAM_HOLD -> "'" + upstream + "' asked the gateway to hold off calls as service principal '"
            + servicePrincipal + "' (it answered 429 or 503 with Retry-After); nothing was sent" + when;
        default -> limit + when;
      };
    }
  }
}
