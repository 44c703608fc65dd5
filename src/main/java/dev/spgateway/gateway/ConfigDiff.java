package dev.spgateway.gateway;

import dev.spgateway.config.GatewayConfig;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a reload changes. Sections the gateway builds once for its whole life (its ports, the token endpoint and
 * Key Vault access, outbound trust, the audit file and how it is written, the rate-limit store) can only change
 * with a restart; callers, service principals, upstreams, batch limits, caller and service-principal budgets
 * and audit readers change live. Messages name fields, never values: some hold secrets.
 */
final class ConfigDiff {

  private ConfigDiff() {}

  /** Paths of the fields that differ and only a restart can change, e.g. {@code listener.port}. */
  static List<String> restartOnly(GatewayConfig running, GatewayConfig next) {
    List<String> changed = new ArrayList<>();
    fields("listener", running.listener(), next.listener(), Set.of(), changed);
    fields("admin", running.admin(), next.admin(), Set.of(), changed);
    fields("entra", running.entra(), next.entra(), Set.of(), changed);
    fields("keyVault", running.keyVault(), next.keyVault(), Set.of(), changed);
    fields("tls", running.tls(), next.tls(), Set.of(), changed);
    fields("audit", running.audit(), next.audit(), Set.of("readers"), changed);
    fields("ratelimit", running.ratelimit(), next.ratelimit(), Set.of("servicePrincipals"), changed);
    return changed;
  }

  /** What a reload changes, in a few words: {@code callers +hr-sync -old-flow ~invoice-flow; upstreams ~graph}. */
  static String describe(GatewayConfig running, GatewayConfig next) {
    List<String> parts = new ArrayList<>();
    names("callers", running.callers(), next.callers(), parts);
    names("servicePrincipals", running.servicePrincipals(), next.servicePrincipals(), parts);
    names("upstreams", running.upstreams(), next.upstreams(), parts);
    if (!running.batch().equals(next.batch())) parts.add("batch changed");
    if (!running.ratelimit().servicePrincipals().equals(next.ratelimit().servicePrincipals())) {
      parts.add("ratelimit.servicePrincipals changed");
    }
    if (!running.audit().readers().equals(next.audit().readers())) parts.add("audit.readers changed");
    return parts.isEmpty() ? "nothing the gateway uses changed" : String.join("; ", parts);
  }

  private static void names(String section, Map<String, ?> before, Map<String, ?> after, List<String> parts) {
    Set<String> all = new TreeSet<>(before.keySet());
    all.addAll(after.keySet());
    StringBuilder changes = new StringBuilder();
    for (String name : all) {
      if (!before.containsKey(name)) changes.append(" +").append(name);
      else if (!after.containsKey(name)) changes.append(" -").append(name);
      else if (!Objects.equals(before.get(name), after.get(name))) changes.append(" ~").append(name);
    }
    if (changes.length() > 0) parts.add(section + changes);
  }

  /** Each component of two records of one section that differs, except those listed as live. */
  private static void fields(String section, Record before, Record after, Set<String> live, List<String> changed) {
    if (before == null || after == null) {
      if (before != after) changed.add(section);
      return;
    }
    for (RecordComponent component : before.getClass().getRecordComponents()) {
      if (live.contains(component.getName())) continue;
      if (!Objects.equals(value(component, before), value(component, after))) {
        changed.add(section + "." + component.getName());
      }
    }
  }

  private static Object value(RecordComponent component, Record record) {
    try {
      return component.getAccessor().invoke(record);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("a config record's accessor cannot fail", e);
    }
  }
}
