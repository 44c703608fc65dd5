package dev.spgateway.cli;

import dev.spgateway.config.ConfigException;
import dev.spgateway.config.ConfigLoader;
import dev.spgateway.config.GatewayConfig;
import dev.spgateway.gateway.Rejection;
import dev.spgateway.gateway.RequestJudge;
import dev.spgateway.policy.Decision;
import dev.spgateway.policy.PolicyEngine;
import dev.spgateway.policy.PolicyRequest;
import dev.spgateway.policy.batch.BatchJudge;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.nio.file.Files;
import java.io.PrintWriter;
import java.nio.file.Path;
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
        "Exit codes: 0 valid / allowed, 1 bad config, 2 denied, 64 usage error (an unknown option or caller)."},
    footerHeading = "%nExamples:%n",
    footer = {"  sp-gateway check --config gateway.yaml",
        "  sp-gateway check --config gateway.yaml --as invoice-flow \"GET /graph/v1.0/users/alice@contoso.com?$select=id\"",
        "  sp-gateway check --config gateway.yaml --as invoice-flow --body batch.json \"POST /graph/v1.0/$batch\""})
final class CheckCommand implements Callable<Integer> {

  static final int DENIED = Main.NO;

  @Spec CommandSpec spec;

  @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "the gateway's YAML config")
  Path config;

  @Option(names = "--as", paramLabel = "CALLER", description = "the caller to judge the request for")
  String caller;

  @Option(names = "--body", paramLabel = "FILE", description = "the request's body: a $batch is judged sub-request by sub-request")
  Path body;

  @Option(names = "--content-type", paramLabel = "TYPE", description = "the body's Content-Type (default application/json)")
  String contentType = "application/json";

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
    PolicyEngine policy = new PolicyEngine(loaded.routes(), loaded.upstreams());
    if (caller == null && request == null) {
      out.printf("%s: OK (%d service principals, %d upstreams, %d callers)%n", config,
          loaded.servicePrincipals().size(), loaded.upstreams().size(), loaded.callers().size());
      policy.warnings().forEach(warning -> out.println("warning: " + warning));
      return 0;
    }
    if (caller == null || request == null) {
      return usage("give both --as CALLER and \"METHOD /upstream/path?query\"");
    }
    if (!loaded.callers().containsKey(caller)) {
      return usage("no caller '" + caller + "' in " + config + "; known: "
          + String.join(", ", new TreeSet<>(loaded.callers().keySet())));
    }
    String[] parts = request.trim().split("\\s+", 2);
    if (parts.length != 2) {
      return usage("write the request as \"METHOD /upstream/path?query\", e.g. \"GET /graph/v1.0/users/{id}\"");
    }
    // The method as written, like serve takes it from the request line: "get" is not "GET" there either.
    String method = parts[0];
    RequestJudge.Target target;
    try {
      target = RequestJudge.target(parts[1]);
    } catch (Rejection rejection) {
      // What serve would answer to this target (400 not origin-form, 404 no upstream path).
      out.printf("DENIED (%d %s): %s%n", rejection.status(), rejection.type(), rejection.detail());
      return DENIED;
    }
    String upstream = target.upstream();
    String upstreamTarget = target.rest();
    Buffer content;
    try {
      content = body == null ? null : Buffer.buffer(Files.readAllBytes(body));
    } catch (IOException e) {
      return usage("cannot read the body file '" + body + "': " + e.getMessage());
    }
    RequestJudge judge = new RequestJudge(policy, new BatchJudge(policy, loaded.batch(), loaded.upstreams()));
    if (judge.isBatch(target)) return judgeBatch(out, judge, method, target, content);
    String type = content == null ? null : contentType;
    long length = content == null ? 0 : content.length();
    Decision decision = judge.decide(caller, method, target, type, length);
    // The notes only explain; the decision above is serve's.
    PolicyEngine.Explanation explanation = policy.explain(caller, new PolicyRequest(method, upstream, upstreamTarget,
        type, length));
    if (decision instanceof Decision.Allow allow) {
      out.printf("ALLOWED by %s%n", allow.ruleId());
      explanation.rules().forEach(rule -> out.printf("  rule: %s%n", rule.rule()));
      out.printf("  forwarded to '%s' as %s %s, acting as service principal '%s'%n", allow.upstream(),
          method, allow.target(), allow.servicePrincipal());
      return 0;
    }
    Decision.Deny deny = (Decision.Deny) decision;
    out.printf("DENIED (%d %s): %s%n", deny.refusal().status(), deny.refusal().problemType(), deny.reason());
    if (!explanation.rules().isEmpty()) out.println("nearest rules:");
    explanation.rules().forEach(rule -> out.printf("  %s  %s%n      %s%n", rule.id(), rule.rule(), rule.note()));
    return DENIED;
  }

  /** The command line asks for something that is not there: a usage error, never mistaken for a denial. */
  private int usage(String message) {
    spec.commandLine().getErr().println(message);
    return Main.USAGE;
  }

  /** A batch is judged as the gateway judges it: every sub-request, and refused as a whole if one is. */
  private int judgeBatch(PrintWriter out, RequestJudge judge, String method, RequestJudge.Target target,
      Buffer content) {
    if (content == null) {
      out.println("DENIED: a $batch is judged by its sub-requests; give the batch body with --body FILE "
          + "(and --content-type 'multipart/mixed; boundary=...' for Dataverse)");
      return DENIED;
    }
    Decision.Deny early = judge.beforeBody(method, target, contentType, content.length());
    Decision decision = early != null ? early : judge.judgeBatch(caller, method, target, contentType, content);
    if (decision instanceof Decision.Allow allow) {
      out.printf("ALLOWED: all %d sub-requests, acting as service principal '%s'%n", allow.requests(),
          allow.servicePrincipal());
      allow.batch().forEach(sub -> out.printf("  %s  %s %s  by %s%n", sub.id(), sub.method(), sub.path(), sub.ruleId()));
      return 0;
    }
    Decision.Deny deny = (Decision.Deny) decision;
    out.printf("DENIED (%d %s): %s%n", deny.refusal().status(), deny.refusal().problemType(), deny.reason());
    return DENIED;
  }
}
