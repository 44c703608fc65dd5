package dev.spgateway.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.spgateway.check.Problems;
import dev.spgateway.config.ConfigException.ConfigProblem;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads the gateway's YAML config: {@code ${ENV}} references are resolved, the tree is bound into
 * immutable records (unknown keys refused), then {@link ConfigValidator} checks what binding cannot.
 * Runs at start, before any event loop exists, and on a worker for a reload, so it may read files.
 */
public final class ConfigLoader {

  private static final Pattern ENV_REFERENCE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?}");

  private final Function<String, String> environment;

  public ConfigLoader(Function<String, String> environment) {
    this.environment = environment;
  }

  public static ConfigLoader withSystemEnvironment() {
    return new ConfigLoader(System::getenv);
  }

  public GatewayConfig load(Path file) {
    return loadFile(file).config();
  }

  /** A config as loaded, with the SHA-256 (hex) of the file's bytes: a reload compares it, the audit log records it. */
  public record Loaded(GatewayConfig config, String sha256) {}

  /** As {@link #load}, also hashing the bytes parsed. Reads a file: not on an event loop. */
  public Loaded loadFile(Path file) {
    String name = file.toString();
    byte[] bytes;
    String yaml;
    try {
      bytes = Files.readAllBytes(file);
      yaml = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
    } catch (NoSuchFileException e) {
      throw problem(name, "", "file not found; pass the path of your config with --config");
    } catch (IOException e) {
      throw problem(name, "", "cannot read the file: " + e.getMessage());
    }
    return new Loaded(parse(name, yaml), sha256(bytes));
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  /** Parses YAML text; {@code name} is what error messages call the file. */
  public GatewayConfig parse(String name, String yaml) {
    ObjectMapper mapper = mapper();
    JsonNode tree;
    try {
      tree = mapper.readTree(yaml);
    } catch (JsonProcessingException e) {
      var where = e.getLocation();
      String at = where == null ? "" : " (line " + where.getLineNr() + ", column " + where.getColumnNr() + ")";
      throw problem(name, "", "not valid YAML" + at + ": " + firstLine(e.getOriginalMessage()));
    }
    if (tree == null || !tree.isObject()) {
      throw problem(name, "", "the file is empty or not a YAML mapping; start from config/gateway.example.yaml");
    }
    List<ConfigProblem> problems = new ArrayList<>();
    JsonNode resolved = resolveEnvironment(tree, "", problems);
    if (!problems.isEmpty()) throw new ConfigException(name, problems);

    GatewayConfig config;
    try {
      config = mapper.treeToValue(resolved, GatewayConfig.class);
    } catch (JsonMappingException e) {
      throw new ConfigException(name, List.of(describeBindingError(e)));
    } catch (JsonProcessingException e) {
      throw problem(name, "", e.getOriginalMessage());
    }
    new ConfigValidator(config, (path, message) -> problems.add(new ConfigProblem(path, message))).validate();
    if (!problems.isEmpty()) throw new ConfigException(name, problems);
    return config;
  }

  /** The YAML parser's own first line says what is wrong; the rest repeats the location. */
  private static String firstLine(String message) {
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }

  private static ConfigException problem(String file, String path, String message) {
    return new ConfigException(file, List.of(new ConfigProblem(path, message)));
  }

  private static ObjectMapper mapper() {
    SimpleModule durations = new SimpleModule().addDeserializer(Duration.class, new DurationDeserializer());
    return new ObjectMapper(new YAMLFactory())
        .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .registerModule(durations);
  }

  /** Replaces {@code ${NAME}} and {@code ${NAME:-default}} in every string; an unset name is a problem. */
  private JsonNode resolveEnvironment(JsonNode node, String path, List<ConfigProblem> problems) {
    if (node.isTextual()) {
      Matcher matcher = ENV_REFERENCE.matcher(node.textValue());
      if (!matcher.find()) return node;
      matcher.reset();
      StringBuilder resolved = new StringBuilder();
      while (matcher.find()) {
        String value = environment.apply(matcher.group(1));
        if (value == null) value = matcher.group(3);
        if (value == null) {
          problems.add(new ConfigProblem(path, "environment variable " + matcher.group(1)
              + " is not set; export it, or write ${" + matcher.group(1) + ":-default}"));
          value = "";
        }
        matcher.appendReplacement(resolved, Matcher.quoteReplacement(value));
      }
      matcher.appendTail(resolved);
      return TextNode.valueOf(resolved.toString());
    }
    if (node instanceof ObjectNode object) {
      ObjectNode copy = object.objectNode();
      for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
        var field = it.next();
        copy.set(field.getKey(), resolveEnvironment(field.getValue(), Problems.field(path, field.getKey()), problems));
      }
      return copy;
    }
    if (node instanceof ArrayNode array) {
      ArrayNode copy = array.arrayNode();
      for (int i = 0; i < array.size(); i++) {
        copy.add(resolveEnvironment(array.get(i), Problems.index(path, i), problems));
      }
      return copy;
    }
    return node;
  }

  private static ConfigProblem describeBindingError(JsonMappingException e) {
    String path = "";
    for (JsonMappingException.Reference ref : e.getPath()) {
      path = ref.getIndex() >= 0 ? Problems.index(path, ref.getIndex()) : Problems.field(path, ref.getFieldName());
    }
    if (e instanceof UnrecognizedPropertyException unknown) {
      String known = unknown.getKnownPropertyIds().stream().map(Object::toString).sorted().collect(Collectors.joining(", "));
      return new ConfigProblem(path, "unknown key; expected one of: " + known);
    }
    if (e instanceof InvalidFormatException format && format.getTargetType().isEnum()) {
      String allowed = java.util.Arrays.stream(format.getTargetType().getEnumConstants()).map(Object::toString)
          .collect(Collectors.joining(", "));
      return new ConfigProblem(path, "'" + format.getValue() + "' is not one of: " + allowed);
    }
    if (e instanceof ValueInstantiationException refused && refused.getCause() instanceof IllegalArgumentException why) {
      return new ConfigProblem(path, why.getMessage()); // a record's own check, worded for operators
    }
    if (e instanceof InvalidFormatException format) {
      return new ConfigProblem(path, "'" + format.getValue() + "' is not " + describe(format.getTargetType()));
    }
    if (e instanceof MismatchedInputException mismatch && mismatch.getTargetType() != null) {
      return new ConfigProblem(path, "expected " + describe(mismatch.getTargetType()));
    }
    return new ConfigProblem(path, e.getOriginalMessage());
  }

  private static String describe(Class<?> type) {
    if (Map.class.isAssignableFrom(type) || type.isRecord()) return "a mapping (key: value)";
    if (List.class.isAssignableFrom(type)) return "a list";
    if (type == Duration.class) return "a duration such as 500ms, 10s, 5m or 1h";
    if (type == Integer.class || type == int.class) return "a whole number";
    return "a " + type.getSimpleName().toLowerCase(java.util.Locale.ROOT);
  }
}
