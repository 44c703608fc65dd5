package dev.spgateway.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spgateway.audit.AuditConfig;
import dev.spgateway.audit.AuditFiles;
import dev.spgateway.audit.AuditQuery;
import dev.spgateway.audit.AuditReader;
import dev.spgateway.audit.AuditVerifier;
import dev.spgateway.config.ConfigException;
import dev.spgateway.config.ConfigLoader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code sp-gateway audit query|tail|verify}: read and check the audit log, from its files. */
@Command(name = "audit", mixinStandardHelpOptions = true,
    description = {"Reads and checks the audit log: who did what, as which service principal, when, and how it ended.",
        "Only the config's audit section is read (its file); the rest of the config may be incomplete here.",
        "Exit codes: 0 done, 1 bad config, 2 chain broken (verify), 64 usage error."},
    footerHeading = "%nExamples:%n",
    footer = {"  sp-gateway audit query --config gateway.yaml --since 1h --caller invoice-flow --status 4xx",
        "  sp-gateway audit tail -f --config gateway.yaml --outcome denied",
        "  sp-gateway audit verify --config gateway.yaml"},
    subcommands = {AuditCommand.Query.class, AuditCommand.Tail.class, AuditCommand.Verify.class})
final class AuditCommand {

  /** Exit code of {@code verify} when the chain is broken. */
  static final int BROKEN = Main.NO;

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Which log: the gateway's config (its {@code audit.file}), or the file itself. */
  static final class Source {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
        description = "the gateway's YAML config; only its audit section (audit.file) is read")
    Path config;

    @Option(names = "--file", paramLabel = "FILE",
        description = "the active audit file (audit.jsonl); its rotated files next to it are read too")
    Path file;

    AuditFiles files() {
      if (file != null) return new AuditFiles(file);
      AuditConfig audit = ConfigLoader.withSystemEnvironment().loadSection(config, "audit", AuditConfig.class,
          (section, problems) -> { }); // reading needs no more than where the file is
      return new AuditFiles(Path.of(audit.file()));
    }
  }

  /** The filters; the same names as the admin API's parameters. */
  static final class Filters {
    @Option(names = "--since", paramLabel = "DURATION",
        description = "records of the last DURATION: 30s, 15m, 1h, 7d (the same as --from -DURATION)")
    String since;
    @Option(names = "--from", paramLabel = "TIME",
        description = "records at or after TIME: 2026-11-22, 2026-11-22T03:00:00Z, or how long ago: -15m, -1h, -7d")
    String from;
    @Option(names = "--to", paramLabel = "TIME", description = "records before TIME, written as for --from")
    String to;
    @Option(names = "--caller", paramLabel = "NAME", description = "the caller's name in the config")
    String caller;
    @Option(names = {"--service-principal", "--sp"}, paramLabel = "NAME",
        description = "the service principal the gateway acted as")
    String servicePrincipal;
    @Option(names = "--upstream", paramLabel = "NAME", description = "the upstream: graph, or a Dataverse environment")
    String upstream;
    @Option(names = "--method", paramLabel = "METHOD", description = "the HTTP method, e.g. GET (a $batch's parts count)")
    String method;
    @Option(names = "--path", paramLabel = "PREFIX", description = "a path prefix, e.g. /v1.0/users")
    String path;
    @Option(names = "--status", paramLabel = "STATUS", description = "a status (404) or a class (4xx)")
    String status;
    @Option(names = {"--outcome", "--decision"}, paramLabel = "OUTCOME",
        description = "forwarded, denied, failed or refused")
    String outcome;
    @Option(names = "--request-id", paramLabel = "ID",
        description = "one request: the id in the caller's client-request-id header or a problem's requestId")
    String requestId;

    AuditQuery query() {
      if (since != null && from != null) throw new IllegalArgumentException("give --since or --from, not both");
      if (since != null && !since.matches("\\d+[smhd]")) {
        throw new IllegalArgumentException("--since '" + since + "' is not a duration; write 30s, 15m, 1h or 7d");
      }
      Map<String, String> values = new java.util.HashMap<>();
      values.put("from", since != null ? "-" + since : from);
      values.put("to", to);
      values.put("caller", caller);
      values.put("servicePrincipal", servicePrincipal);
      values.put("upstream", upstream);
      values.put("method", method);
      values.put("path", path);
      values.put("status", status);
      values.put("outcome", outcome);
      values.put("requestId", requestId);
      return AuditQuery.parse(values::get);
    }
  }

  enum Format { table, json }

  abstract static class Reading implements Callable<Integer> {
    @Spec CommandSpec spec;
    @ArgGroup(multiplicity = "1") Source source;
    @Mixin Filters filters;
    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table",
        description = "table (default) or json: each record as written, one per line")
    Format format;

    @Override
    public Integer call() throws Exception {
      AuditQuery query;
      AuditFiles files;
      try {
        query = filters.query();
      } catch (IllegalArgumentException e) {
        spec.commandLine().getErr().println(e.getMessage());
        return Main.USAGE;
      }
      try {
        files = source.files();
      } catch (ConfigException e) {
        spec.commandLine().getErr().println(e.getMessage());
        return Main.BAD_CONFIG;
      }
      return read(new AuditReader(files), query, spec.commandLine().getOut());
    }

    abstract int read(AuditReader reader, AuditQuery query, PrintWriter out) throws Exception;

    void print(List<String> lines, PrintWriter out) {
      if (format == Format.json) lines.forEach(out::println);
      else Table.print(lines, out);
      out.flush();
    }
  }

  @Command(name = "query", mixinStandardHelpOptions = true,
      description = "Finds records, newest first unless --oldest-first, across rotated files.",
      footerHeading = "%nExamples:%n",
      footer = {"  sp-gateway audit query --config gateway.yaml --since 1h --caller invoice-flow --status 4xx",
          "  sp-gateway audit query --config gateway.yaml --request-id 3f2a9c1e-...",
          "  sp-gateway audit query --file /var/lib/sp-gateway/audit/audit.jsonl --from 2026-11-22 --to 2026-11-23 -n 0 -o json"})
  static final class Query extends Reading {
    @Option(names = "--oldest-first", description = "oldest first (default: newest first)") boolean oldestFirst;
    @Option(names = {"-n", "--limit"}, defaultValue = "100", description = "at most this many (0: all; default 100)")
    int limit;

    @Override
    int read(AuditReader reader, AuditQuery query, PrintWriter out) throws IOException {
      if (format == Format.json) {
        reader.export(query, !oldestFirst, limit, Main.bytes(out)); // streamed: any size, in the files' bytes
        return 0;
      }
      List<String> lines = new ArrayList<>();
      reader.scan(query, !oldestFirst, null, match -> {
        lines.add(match.line());
        return limit <= 0 || lines.size() < limit;
      });
      print(lines, out);
      return 0;
    }
  }

  @Command(name = "tail", mixinStandardHelpOptions = true,
      description = "Prints the last matching records, then (with -f) each new one as it is written.",
      footerHeading = "%nExamples:%n",
      footer = {"  sp-gateway audit tail --config gateway.yaml -n 20",
          "  sp-gateway audit tail -f --config gateway.yaml --outcome denied -o json"})
  static final class Tail extends Reading {
    @Option(names = {"-f", "--follow"}, description = "keep printing new records until stopped") boolean follow;
    @Option(names = {"-n", "--lines"}, defaultValue = "10", description = "how many to show first (default 10)")
    int lines;

    @Override
    int read(AuditReader reader, AuditQuery query, PrintWriter out) throws InterruptedException {
      long last = reader.lastSeq();
      List<String> recent = new ArrayList<>(reader.page(query, true, Math.max(lines, 1), null).records().stream()
          .map(AuditReader.Match::line).toList());
      java.util.Collections.reverse(recent);
      print(lines == 0 ? List.of() : recent, out);
      if (!follow) return 0;
      reader.follow(query, last, match -> {
        print(List.of(match.line()), out);
        return true;
      }, () -> Thread.currentThread().isInterrupted());
      return 0;
    }
  }

  @Command(name = "verify", mixinStandardHelpOptions = true,
      description = "Checks the hash chain through every file; exits 0 only when it is whole, otherwise (exit 2) names "
          + "the first record that was changed, removed, reordered or truncated.",
      footerHeading = "%nExamples:%n",
      footer = {"  sp-gateway audit verify --config gateway.yaml",
          "  sp-gateway audit verify --file /var/lib/sp-gateway/audit/audit.jsonl"})
  static final class Verify implements Callable<Integer> {
    @Spec CommandSpec spec;
    @ArgGroup(multiplicity = "1") Source source;

    @Override
    public Integer call() {
      AuditFiles files;
      try {
        files = source.files();
      } catch (ConfigException e) {
        spec.commandLine().getErr().println(e.getMessage());
        return Main.BAD_CONFIG;
      }
      AuditVerifier.Result result = AuditVerifier.verify(files);
      if (!result.whole()) {
        spec.commandLine().getErr().println("BROKEN: " + result.problem());
        spec.commandLine().getErr().println("(the records before it, " + result.records() + " of them, are whole)");
        return BROKEN;
      }
      PrintWriter out = spec.commandLine().getOut();
      out.printf("OK: %d records in %d files, seq %d to %d, chain whole%n", result.records(), result.files(),
          result.firstSeq(), result.lastSeq());
      if (result.firstSeq() > 1) {
        out.printf("The chain starts at seq %d: older files were removed (retention).%n", result.firstSeq());
      }
      out.printf("Last hash: %s (keep it elsewhere to detect records cut from the end later)%n", result.lastHash());
      return 0;
    }
  }

  /** An aligned table of the fields people look at first. */
  static final class Table {
    private static final String[] HEADERS =
        {"TIME", "STATUS", "OUTCOME", "CALLER", "AS", "UPSTREAM", "METHOD", "PATH", "RULE/PROBLEM", "MS", "REQUEST ID"};

    static void print(List<String> lines, PrintWriter out) {
      List<String[]> rows = new ArrayList<>();
      for (String line : lines) rows.add(row(line));
      int[] widths = new int[HEADERS.length];
      for (int i = 0; i < HEADERS.length; i++) widths[i] = HEADERS[i].length();
      for (String[] row : rows) {
        for (int i = 0; i < row.length; i++) widths[i] = Math.max(widths[i], row[i].length());
      }
      line(HEADERS, widths, out);
      rows.forEach(row -> line(row, widths, out));
    }

    private static String[] row(String line) {
      JsonNode r;
      try {
        r = JSON.readTree(line);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      String rule = r.hasNonNull("rule") ? r.get("rule").asText() : r.path("problem").asText("-");
      return new String[] {r.path("time").asText(), r.path("status").asText(), r.path("outcome").asText(),
          text(r, "caller"), text(r, "servicePrincipal"), text(r, "upstream"), text(r, "method"), text(r, "path"),
          rule, r.path("durationMs").asText(), text(r, "requestId")};
    }

    private static String text(JsonNode record, String field) {
      return record.path(field).asText("-");
    }

    private static void line(String[] cells, int[] widths, PrintWriter out) {
      StringBuilder text = new StringBuilder();
      for (int i = 0; i < cells.length; i++) {
        text.append(i == cells.length - 1 ? cells[i] : String.format("%-" + widths[i] + "s  ", cells[i]));
      }
      out.println(text.toString().stripTrailing());
    }
  }
}
