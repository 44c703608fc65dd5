package dev.spgateway.connector;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spgateway.identity.ApiKeys;
import dev.spgateway.policy.PolicyEngine.AllowedRule;
import dev.spgateway.policy.QueryRules;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Power Platform custom connector for one caller, in the layout {@code paconn} and the maker portal
 * import: {@code apiDefinition.swagger.json} (Swagger 2.0, which custom connectors require) and
 * {@code apiProperties.json}. One operation per allow rule, named from the rule's path (Dataverse
 * entity sets after the set), its placeholders as path parameters and its allowed query options as
 * optional query parameters. The same rules give the same bytes; nothing secret is written (the key is
 * what the connection asks for).
 */
public final class CustomConnector {

  /** The connection parameter Power Platform expects for API key authentication. */
  static final String API_KEY_PARAMETER = "api_key";

  private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z][A-Za-z0-9_]*)(?::([a-z]+))?}");
  private static final Pattern ENTITY_SET_RULE = Pattern.compile(".*\\.entitySets\\.([A-Za-z0-9_]+)\\.(read|create|update|delete)");
  private static final Pattern VERSION = Pattern.compile("v[0-9.]+|beta|api|data");
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectWriter PRETTY = JSON.writer(new DefaultPrettyPrinter()
      .withObjectIndenter(new DefaultIndenter("  ", "\n")).withArrayIndenter(new DefaultIndenter("  ", "\n")));

  /** The two files, and the rules that could not become operations (with why). */
  public record Files(String apiDefinition, String apiProperties, List<String> skipped) {}

  private CustomConnector() {}

  /** Whether {@code host} is what Swagger's {@code host} takes: a name or address, optional port, no scheme or path. */
  public static boolean isHost(String host) {
    return host != null && HOST.matcher(host).matches();
  }

  /**
   * @param caller whose rules become operations
   * @param rules the caller's rules, in config order
   * @param host where the gateway is reached, e.g. {@code gateway.contoso.com}
   */
  public static Files generate(String caller, List<AllowedRule> rules, String host) {
    if (!isHost(host)) throw new IllegalArgumentException("'" + host + "' is not a host name such as gateway.contoso.com"
        + " (no https://, no path)");
    ObjectNode root = JSON.createObjectNode();
    root.put("swagger", "2.0");
    ObjectNode info = root.putObject("info");
    info.put("title", title(caller));
    info.put("description", "Calls Microsoft Graph and Dataverse through sp-gateway as caller '" + caller
        + "'. Each operation is one rule the gateway allows this caller; everything else is refused.");
    info.put("version", "1.0");
    root.put("host", host);
    root.put("basePath", "/");
    root.putArray("schemes").add("https");
    root.putArray("produces").add("application/json");
    ObjectNode paths = root.putObject("paths");
    List<String> skipped = new ArrayList<>();
    Map<String, Integer> operationIds = new HashMap<>();
    for (AllowedRule rule : rules) {
      if (rule.template().endsWith("/**")) {
        skipped.add(rule.id() + " (" + rule.method() + " " + rule.template() + "): '**' matches any number of segments,"
            + " which a connector operation cannot express; call it with the HTTP action");
        continue;
      }
      String path = "/" + rule.upstream() + rule.template().replaceAll(":[a-z]+}", "}");
      ObjectNode pathItem = paths.has(path) ? (ObjectNode) paths.get(path) : paths.putObject(path);
      String method = rule.method().toLowerCase(Locale.ROOT);
      if (pathItem.has(method)) {
        skipped.add(rule.id() + " (" + rule.method() + " " + rule.template() + "): an earlier rule has the same method and"
            + " path, and the first rule that fits decides");
        continue;
      }
      operation(pathItem.putObject(method), rule, operationIds);
    }
    root.putObject("definitions");
    root.putObject("parameters");
    root.putObject("responses");
    ObjectNode security = root.putObject("securityDefinitions").putObject(API_KEY_PARAMETER);
    security.put("type", "apiKey");
    security.put("in", "header");
    security.put("name", ApiKeys.HEADER);
    root.putArray("security").addObject().putArray(API_KEY_PARAMETER);
    root.putArray("tags");
    return new Files(write(root), write(properties(caller)), List.copyOf(skipped));
  }

  private static void operation(ObjectNode operation, AllowedRule rule, Map<String, Integer> ids) {
    Name name = name(rule);
    String id = name.operationId();
    int seen = ids.merge(id, 1, Integer::sum);
    if (seen > 1) id = id + seen;
    operation.put("operationId", id);
    operation.put("summary", name.summary());
    operation.put("description", name.summary() + " through the gateway (rule " + rule.id() + ": " + rule.method() + " "
        + rule.template() + ").");
    operation.putArray("tags").add(rule.upstream());
    boolean hasBody = rule.maxBodyBytes() > 0 && !rule.method().equals("GET") && !rule.method().equals("DELETE");
    if (hasBody) {
      ArrayNode consumes = operation.putArray("consumes");
      rule.contentTypes().stream().map(type -> type.equals("*/*") ? "application/json" : type).distinct()
          .forEach(consumes::add);
    }
    ArrayNode parameters = operation.putArray("parameters");
    Matcher placeholder = PLACEHOLDER.matcher(rule.template());
    while (placeholder.find()) {
      ObjectNode parameter = parameters.addObject();
      String type = placeholder.group(2);
      parameter.put("name", placeholder.group(1));
      parameter.put("in", "path");
      parameter.put("required", true);
      parameter.put("type", "string");
      if ("guid".equals(type)) parameter.put("format", "guid");
      parameter.put("x-ms-summary", words(placeholder.group(1)));
      parameter.put("description", "key".equals(type)
          ? "The row's GUID, or an alternate key such as accountnumber='A1'."
          : "guid".equals(type) ? "A GUID." : "One path segment, such as an id or a user principal name.");
      // Power Platform encodes path parameters twice unless told otherwise; the gateway refuses '%25' in paths.
      parameter.put("x-ms-url-encoding", "single");
    }
    query(parameters, rule.query());
    if (hasBody) {
      ObjectNode body = parameters.addObject();
      body.put("name", "body");
      body.put("in", "body");
      body.put("required", true);
      body.put("x-ms-summary", "Body");
      body.put("description", "The request body (at most " + rule.maxBodyBytes() + " bytes).");
      body.putObject("schema").put("type", "object");
    }
    ObjectNode responses = operation.putObject("responses");
    ObjectNode ok = responses.putObject("200");
    ok.put("description", "The upstream's answer (any 2xx status).");
    if (rule.method().equals("GET")) ok.putObject("schema").put("type", "object");
    responses.putObject("default").put("description", "A refusal (RFC 9457 problem) or the upstream's error.");
    if (name.list()) {
      // Power Automate's pagination setting follows this link; the gateway points it back at itself.
      operation.putObject("x-ms-pageable").put("nextLinkName", "@odata.nextLink");
    }
  }

  private static void query(ArrayNode parameters, QueryRules query) {
    if (query.select()) option(parameters, "$select", "string", "Select columns", "Comma-separated properties to return.");
    if (query.filter()) option(parameters, "$filter", "string", "Filter rows", "An OData filter expression.");
    if (query.orderby()) option(parameters, "$orderby", "string", "Order by", "Properties to sort by, each optionally desc.");
    if (query.top() != null) {
      ObjectNode top = option(parameters, "$top", "integer", "Top count", "How many items to return, at most " + query.top() + ".");
      top.put("format", "int32");
      top.put("minimum", 1);
      top.put("maximum", query.top());
    }
    if (query.skip()) option(parameters, "$skip", "integer", "Skip count", "How many items to skip.").put("format", "int32");
    if (query.search()) option(parameters, "$search", "string", "Search", "A search expression.");
    if (query.count()) option(parameters, "$count", "boolean", "Count", "Whether to include the number of items.");
    if (query.apply()) option(parameters, "$apply", "string", "Aggregate", "An OData aggregation ($apply) expression.");
    if (query.expand() != null) {
      String which = query.expand().properties().isEmpty() ? "navigation properties"
          : String.join(", ", query.expand().properties());
      option(parameters, "$expand", "string", "Expand", "Related entities to include: " + which + ".");
    }
  }

  private static ObjectNode option(ArrayNode parameters, String name, String type, String summary, String description) {
    ObjectNode parameter = parameters.addObject();
    parameter.put("name", name);
    parameter.put("in", "query");
    parameter.put("required", false);
    parameter.put("type", type);
    parameter.put("x-ms-summary", summary);
    parameter.put("description", description);
    parameter.put("x-ms-visibility", "advanced");
    return parameter;
  }

  /** An operation's id and summary, and whether it lists a collection (and so pages). */
  record Name(String operationId, String summary, boolean list) {}

  static Name name(AllowedRule rule) {
    String upstream = pascal(rule.upstream());
    Matcher entitySet = ENTITY_SET_RULE.matcher(rule.id());
    if (entitySet.matches()) {
      String set = entitySet.group(1);
      String row = singular(set);
      boolean collection = !rule.template().endsWith(")");
      String verb = switch (entitySet.group(2)) {
        case "read" -> collection ? "List" : "Get";
        case "create" -> "Create";
        case "update" -> "Update";
        default -> "Delete";
      };
      String noun = verb.equals("List") ? set : row;
      return new Name(upstream + verb + pascal(noun), sentence(verb + " " + words(noun) + " in " + rule.upstream()),
          verb.equals("List"));
    }
    List<String> literals = new ArrayList<>();
    List<String> placeholders = new ArrayList<>();
    for (String segment : rule.template().substring(1).split("/")) {
      Matcher placeholder = PLACEHOLDER.matcher(segment);
      if (placeholder.find()) {
        placeholders.add(placeholder.group(1));
        String around = segment.substring(0, placeholder.start()) + segment.substring(placeholder.end());
        if (!around.replaceAll("[^A-Za-z0-9]", "").isEmpty()) literals.add(around);
      } else if (!VERSION.matcher(segment.toLowerCase(Locale.ROOT)).matches()) {
        literals.add(segment);
      }
    }
    String verb = pascal(rule.method().toLowerCase(Locale.ROOT));
    StringBuilder id = new StringBuilder(upstream).append(verb);
    StringBuilder summary = new StringBuilder(verb);
    for (String literal : literals) {
      id.append(pascal(literal));
      summary.append(' ').append(words(literal));
    }
    if (!placeholders.isEmpty()) {
      id.append("By");
      summary.append(" by");
      for (int i = 0; i < placeholders.size(); i++) {
        id.append(i == 0 ? "" : "And").append(pascal(placeholders.get(i)));
        summary.append(i == 0 ? " " : " and ").append(words(placeholders.get(i)));
      }
    }
    summary.append(" in ").append(rule.upstream());
    boolean list = rule.method().equals("GET") && !rule.template().endsWith("}") && !rule.template().endsWith(")");
    return new Name(id.toString(), sentence(summary.toString()), list);
  }

  private static ObjectNode properties(String caller) {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode properties = root.putObject("properties");
    ObjectNode key = properties.putObject("connectionParameters").putObject(API_KEY_PARAMETER);
    key.put("type", "securestring");
    ObjectNode ui = key.putObject("uiDefinition");
    ui.put("displayName", "Caller key");
    ui.put("description", "The " + ApiKeys.HEADER + " key of caller '" + caller + "' (keep it in a Key Vault-backed"
        + " secret environment variable)");
    ui.put("tooltip", "Ask the gateway's operators for this caller's key");
    ObjectNode constraints = ui.putObject("constraints");
    constraints.put("tabIndex", 2);
    constraints.put("clearText", false);
    constraints.put("required", "true");
    properties.put("iconBrandColor", "#0F6CBD");
    properties.putArray("capabilities");
    properties.put("publisher", "sp-gateway");
    properties.put("stackOwner", "sp-gateway");
    return root;
  }

  private static String title(String caller) {
    String title = "sp-gateway " + caller;
    return title.length() <= 30 ? title : title.substring(0, 30);
  }

  private static String write(ObjectNode node) {
    try {
      return PRETTY.writeValueAsString(node) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code sendMail} → {@code SendMail}, {@code crm-prod} → {@code CrmProd}, {@code root:} → {@code Root}. */
  static String pascal(String text) {
    StringBuilder out = new StringBuilder();
    boolean upper = true;
    for (char c : text.toCharArray()) {
      if (!Character.isLetterOrDigit(c) || c > 0x7f) {
        upper = true;
        continue;
      }
      out.append(upper ? Character.toUpperCase(c) : c);
      upper = false;
    }
    return out.toString();
  }

  /** {@code sendMail} → {@code send mail}, {@code crm-prod} → {@code crm prod}. */
  static String words(String text) {
    StringBuilder out = new StringBuilder();
    char previous = ' ';
    for (char c : text.toCharArray()) {
      if (!Character.isLetterOrDigit(c) || c > 0x7f) {
        if (out.length() > 0 && out.charAt(out.length() - 1) != ' ') out.append(' ');
      } else {
        if (Character.isUpperCase(c) && Character.isLowerCase(previous)) out.append(' ');
        out.append(Character.toLowerCase(c));
      }
      previous = c;
    }
    return out.toString().trim();
  }

  private static String sentence(String text) {
    String clean = text.replaceAll("\\s+", " ").trim();
    if (clean.length() > 80) clean = clean.substring(0, 80).trim();
    return clean.isEmpty() ? clean : Character.toUpperCase(clean.charAt(0)) + clean.substring(1);
  }

  /** {@code accounts} → {@code account}, {@code activities} → {@code activity}, {@code addresses} → {@code address}. */
  static String singular(String set) {
    if (set.endsWith("ies")) return set.substring(0, set.length() - 3) + "y";
    if (set.endsWith("sses") || set.endsWith("xes") || set.endsWith("ches") || set.endsWith("shes")) {
      return set.substring(0, set.length() - 2);
    }
    if (set.endsWith("s") && !set.endsWith("ss")) return set.substring(0, set.length() - 1);
    return set;
  }
}
