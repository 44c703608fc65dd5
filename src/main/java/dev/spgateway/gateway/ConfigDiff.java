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
 * What a reload changes. Callers, service principals, upstreams and batch limits change live, and so do the
 * parts of two sections listed in {@link #LIVE_FIELDS}; every other section is built once for the gateway's
 * whole life (its ports, the token endpoint and Key Vault access, outbound trust, the audit file, the rate-limit
 * store) and can only change with a restart. A section added later is restart-only until it is listed here.
 * Messages name fields, never values: some hold secrets.
 */
final class ConfigDiff {

  /** Top-level sections a {@link Generation} is built from: a reload applies them. */
  private static final Set<String> LIVE_SECTIONS = Set.of("callers", "servicePrincipals", "upstreams", "batch");
  /** Sections that are restart-only except for these fields. */
  private static final Map<String, Set<String>> LIVE_FIELDS = Map.of(
      "audit", Set.of("readers"),
      "ratelimit", Set.of("servicePrincipals"));

  private ConfigDiff() {}

  /** Paths of the fields that differ and only a restart can change, e.g. {@code listener.port}. */
  static List<String> restartOnly(GatewayConfig running, GatewayConfig next) {
    List<String> changed = new ArrayList<>();
    for (RecordComponent section : GatewayConfig.class.getRecordComponents()) {
      String name = section.getName();
      if (LIVE_SECTIONS.contains(name)) continue;
      Object before = value(section, running);
      Object after = value(section, next);
      if (before instanceof Record record && after instanceof Record) {
        fields(name, record, (Record) after, LIVE_FIELDS.getOrDefault(name, Set.of()), changed);
      } else if (!Objects.equals(before, after)) {
        changed.add(name);
      }
    }
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
