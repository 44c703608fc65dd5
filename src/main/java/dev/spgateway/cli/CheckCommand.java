package dev.spgateway.cli;

import dev.spgateway.config.ConfigException;
import dev.spgateway.config.ConfigLoader;
import dev.spgateway.config.GatewayConfig;
import dev.spgateway.policy.Decision;
import dev.spgateway.policy.PolicyEngine;
import dev.spgateway.policy.PolicyRequest;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "check", mixinStandardHelpOptions = true,
    description = {"Validates a config file without starting anything; exits non-zero and lists every problem.",
        "Also warns about rules broader than they look. With --as and a request, prints the policy's decision,",
        "the rule that decided it and why (when denied, the nearest rules and why each did not fit).",
        "Exit codes: 0 valid / allowed, 2 denied, 1 bad config."})
final class CheckCommand implements Callable<Integer> {

  static final int DENIED = 2;

  @Spec CommandSpec spec;

  @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "the gateway's YAML config")
  Path config;

  @Option(names = "--as", paramLabel = "CALLER", description = "the caller to judge the request for")
  String caller;

  @Parameters(arity = "0..1", paramLabel = "REQUEST", description = "\"METHOD /upstream/path?query\", as the caller would send it")
  String request;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    GatewayConfig loaded;
    try {
      loaded = ConfigLoader.withSystemEnvironment().load(config);
    } catch (ConfigException e) {
      spec.commandLine().getErr().println(e.getMessage());
      return Main.BAD_CONFIG;
    }
    PolicyEngine policy = new PolicyEngine(loaded.callers(), loaded.upstreams());
    if (caller == null && request == null) {
      out.printf("%s: OK (%d service principals, %d upstreams, %d callers)%n", config,
          loaded.servicePrincipals().size(), loaded.upstreams().size(), loaded.callers().size());
      policy.warnings().forEach(warning -> out.println("warning: " + warning));
      return 0;
    }
    if (caller == null || request == null) {
      spec.commandLine().getErr().println("give both --as CALLER and \"METHOD /upstream/path?query\"");
      return DENIED;
    }
    if (!loaded.callers().containsKey(caller)) {
      out.println("DENIED: no caller '" + caller + "'; known: " + String.join(", ", new TreeSet<>(loaded.callers().keySet())));
      return DENIED;
    }
    String[] parts = request.trim().split("\\s+", 2);
    String target = parts.length == 2 ? parts[1] : "";
    int slash = target.indexOf('/', 1);
    if (!target.startsWith("/") || slash < 0) {
      out.println("DENIED (400): write the request as \"GET /upstream/path?query\", e.g. \"GET /graph/v1.0/users/{id}\"");
      return DENIED;
    }
    PolicyEngine.Explanation explanation = policy.explain(caller, new PolicyRequest(parts[0].toUpperCase(Locale.ROOT),
        target.substring(1, slash), target.substring(slash), null, 0));
    if (explanation.decision() instanceof Decision.Allow allow) {
      out.printf("ALLOWED by %s%n", allow.ruleId());
      explanation.rules().forEach(rule -> out.printf("  rule: %s%n", rule.rule()));
      out.printf("  forwarded to '%s' as %s %s, acting as service principal '%s'%n", allow.upstream(),
          parts[0].toUpperCase(Locale.ROOT), allow.target(), allow.servicePrincipal());
      return 0;
    }
    Decision.Deny deny = (Decision.Deny) explanation.decision();
    out.printf("DENIED (%d %s): %s%n", deny.refusal().status(), deny.refusal().problemType(), deny.reason());
    if (!explanation.rules().isEmpty()) out.println("nearest rules:");
    explanation.rules().forEach(rule -> out.printf("  %s  %s%n      %s%n", rule.id(), rule.rule(), rule.note()));
    return DENIED;
  }
}
