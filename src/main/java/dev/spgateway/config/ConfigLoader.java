package dev.spgateway.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;
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
import java.lang.reflect.RecordComponent;
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
import java.util.function.BiConsumer;
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

  private static final ObjectMapper MAPPER = mapper();

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
    byte[] bytes = readBytes(file);
    return new Loaded(parse(file.toString(), text(file, bytes)), sha256(bytes));
  }

  /** Parses YAML text; {@code name} is what error messages call the file. */
  public GatewayConfig parse(String name, String yaml) {
    ObjectNode tree = readTree(name, yaml);
    Collected collected = new Collected();
    JsonNode resolved = resolveEnvironment(tree, "", collected);
    GatewayConfig config = bindSections((ObjectNode) resolved, collected);
    List<ConfigProblem> checks = new ArrayList<>();
    try {
      new ConfigValidator(config, (path, message) -> checks.add(new ConfigProblem(path, message))).validate();
    } catch (RuntimeException partlyBound) {
      // A section that did not bind is missing from what the checks see; its binding problems say enough.
      if (collected.problems.isEmpty()) throw partlyBound;
    }
    // A field that did not bind was given a default; what the checks say about that default is noise.
    checks.stream().filter(problem -> !collected.failedAt(problem.path())).forEach(collected.problems::add);
    if (!collected.problems.isEmpty()) throw new ConfigException(name, collected.problems);
    return config;
  }

  /**
   * Reads one section, and only it: its {@code ${ENV}} references alone are resolved, so a tool that needs
   * the audit section does not fail on an unset variable meant for another. Absent, the section's defaults.
   */
  public <T> T loadSection(Path file, String section, Class<T> type, BiConsumer<T, Problems> check) {
    String name = file.toString();
    ObjectNode tree = readTree(name, text(file, readBytes(file)));
    Collected collected = new Collected();
    JsonNode node = tree.get(section);
    JsonNode resolved = node == null || node.isNull() ? null : resolveEnvironment(node, section, collected);
    T value = resolved == null ? null : bind(resolved, MAPPER.constructType(type), section, collected);
    if (value == null && collected.problems.isEmpty()) value = bind(MAPPER.createObjectNode(), MAPPER.constructType(type), section, collected);
    if (value != null) check.accept(value, (path, message) -> {
      if (!collected.failedAt(path)) collected.problems.add(new ConfigProblem(path, message));
    });
    if (!collected.problems.isEmpty()) throw new ConfigException(name, collected.problems);
    return value;
  }

  private static byte[] readBytes(Path file) {
    String name = file.toString();
    try {
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw problem(name, "", "file not found; pass the path of your config with --config");
    } catch (IOException e) {
      throw problem(name, "", "cannot read the file: " + e.getMessage());
    }
  }

  /** The file's text; bytes that are not UTF-8 are refused rather than guessed at. */
  private static String text(Path file, byte[] bytes) {
    try {
      return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw problem(file.toString(), "", "cannot read the file: it is not UTF-8 text (" + e + ")");
    }
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  private static ObjectNode readTree(String name, String yaml) {
    JsonNode tree;
    try {
      tree = MAPPER.readTree(yaml);
    } catch (JsonProcessingException e) {
      var where = e.getLocation();
      String at = where == null ? "" : " (line " + where.getLineNr() + ", column " + where.getColumnNr() + ")";
      throw problem(name, "", "not valid YAML" + at + ": " + firstLine(e.getOriginalMessage()));
    }
    if (tree == null || !tree.isObject()) {
      throw problem(name, "", "the file is empty or not a YAML mapping; start from config/gateway.example.yaml");
    }
    return (ObjectNode) tree;
  }

  /**
   * Binds each top-level section, and each entry of a section that is a map of names, on its own: Jackson
   * stops at the first error it cannot hand to {@link Collector}, so that error loses only its own entry.
   */
  private static GatewayConfig bindSections(ObjectNode root, Collected collected) {
    RecordComponent[] sections = GatewayConfig.class.getRecordComponents();
    List<String> names = java.util.Arrays.stream(sections).map(RecordComponent::getName).sorted().toList();
    root.fieldNames().forEachRemaining(key -> {
      if (!names.contains(key)) collected.fail(key, "unknown key; expected one of: " + String.join(", ", names));
    });
    Object[] values = new Object[sections.length];
    Class<?>[] types = new Class<?>[sections.length];
    for (int i = 0; i < sections.length; i++) {
      RecordComponent section = sections[i];
      types[i] = section.getType();
      JsonNode node = root.get(section.getName());
      if (node == null || node.isNull()) continue;
      JavaType type = MAPPER.constructType(section.getGenericType());
      if (type.isMapLikeType() && node.isObject()) {
        Map<String, Object> entries = new java.util.LinkedHashMap<>();
        node.fields().forEachRemaining(entry -> entries.put(entry.getKey(), bind(entry.getValue(), type.getContentType(),
            Problems.field(section.getName(), entry.getKey()), collected)));
        entries.values().removeIf(java.util.Objects::isNull); // Map.copyOf refuses nulls; its problem is recorded
        values[i] = entries;
      } else {
        values[i] = bind(node, type, section.getName(), collected);
      }
    }
    try {
      return GatewayConfig.class.getDeclaredConstructor(types).newInstance(values);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("GatewayConfig's canonical constructor", e);
    }
  }

  /** One subtree as {@code type}; null, with its problems collected, if it cannot be bound. */
  @SuppressWarnings("unchecked")
  private static <T> T bind(JsonNode node, JavaType type, String path, Collected collected) {
    int before = collected.problems.size();
    try {
      return (T) MAPPER.readerFor(type).withHandler(new Collector(path, collected)).readValue(node);
    } catch (JsonMappingException e) {
      ConfigProblem problem = describeBindingError(e);
      // A null the collector left in a list can fail a record's constructor: that is not news.
      boolean consequence = collected.problems.size() > before && rootCause(e) instanceof NullPointerException;
      if (!consequence) {
        collected.fail(problem.path().isEmpty() ? path : Problems.field(path, problem.path()), problem.message());
      }
      collected.failed.add(path);
      return null;
    } catch (IOException e) {
      collected.fail(path, e.getMessage());
      return null;
    }
  }

  private static Throwable rootCause(Throwable failure) {
    while (failure.getCause() != null && failure.getCause() != failure) failure = failure.getCause();
    return failure;
  }

  /** Every problem of a file, and the paths whose values did not bind (their checks would only echo them). */
  private static final class Collected {
    final List<ConfigProblem> problems = new ArrayList<>();
    final List<String> failed = new ArrayList<>();

    void fail(String path, String message) {
      problems.add(new ConfigProblem(path, message));
      failed.add(path);
    }

    boolean failedAt(String path) {
      return failed.stream().anyMatch(f -> f.isEmpty() || path.equals(f) || path.startsWith(f + ".")
          || path.startsWith(f + "["));
    }
  }

  /**
   * Takes the problems Jackson can report and go on from (an unknown key, a value of the wrong type, a
   * name not among an enum's), records each with its path, and binds the default (null) in its place.
   */
  private static final class Collector extends DeserializationProblemHandler {
    private final String base;
    private final Collected collected;

    Collector(String base, Collected collected) {
      this.base = base;
      this.collected = collected;
    }

    @Override
    public boolean handleUnknownProperty(DeserializationContext ctxt, JsonParser p, JsonDeserializer<?> deserializer,
        Object beanOrClass, String propertyName) throws IOException {
      String known = deserializer == null ? "" : deserializer.getKnownPropertyNames().stream().map(Object::toString)
          .sorted().collect(Collectors.joining(", "));
      collected.fail(at(p), "unknown key; expected one of: " + known);
      p.skipChildren();
      return true;
    }

    @Override
    public Object handleWeirdStringValue(DeserializationContext ctxt, Class<?> targetType, String value,
        String failureMsg) {
      collected.fail(at(ctxt.getParser()), "'" + value + "' is not " + (targetType.isEnum() ? "one of: "
          + java.util.Arrays.stream(targetType.getEnumConstants()).map(ConfigLoader::enumName)
              .collect(Collectors.joining(", ")) : describe(targetType)));
      return null;
    }

    @Override
    public Object handleWeirdNumberValue(DeserializationContext ctxt, Class<?> targetType, Number value,
        String failureMsg) {
      collected.fail(at(ctxt.getParser()), "'" + value + "' is not " + describe(targetType));
      return null;
    }

    @Override
    public Object handleUnexpectedToken(DeserializationContext ctxt, JavaType targetType, JsonToken token, JsonParser p,
        String failureMsg) throws IOException {
      if (targetType.isPrimitive()) return NOT_HANDLED; // null cannot stand in for it
      collected.fail(at(p), "expected " + describe(targetType.getRawClass()));
      p.skipChildren();
      return null;
    }

    @Override
    public Object handleMissingInstantiator(DeserializationContext ctxt, Class<?> instClass,
        com.fasterxml.jackson.databind.deser.ValueInstantiator valueInsts, JsonParser p, String msg) throws IOException {
      collected.fail(at(p), "expected " + describe(instClass));
      p.skipChildren();
      return null;
    }

    /** Where the parser is, below {@link #base}: {@code upstreams.graph} + {@code kind}. */
    private String at(JsonParser p) {
      java.util.Deque<JsonStreamContext> chain = new java.util.ArrayDeque<>();
      JsonStreamContext innermost = p.getParsingContext();
      // On the first token of a mapping or list, the parser is already inside it: its place is the parent's.
      if (p.currentToken() == JsonToken.START_OBJECT || p.currentToken() == JsonToken.START_ARRAY) {
        innermost = innermost.getParent();
      }
      for (JsonStreamContext context = innermost; context != null; context = context.getParent()) {
        chain.push(context);
      }
      String path = base;
      for (JsonStreamContext context : chain) {
        if (context.inArray() && context.getCurrentIndex() >= 0) path = Problems.index(path, context.getCurrentIndex());
        else if (context.inObject() && context.getCurrentName() != null) path = Problems.field(path, context.getCurrentName());
      }
      return path;
    }
  }

  /** An enum constant as it is written in YAML (its {@code @JsonProperty} name, if it has one). */
  private static String enumName(Object constant) {
    try {
      JsonProperty name = constant.getClass().getField(((Enum<?>) constant).name()).getAnnotation(JsonProperty.class);
      return name == null ? constant.toString() : name.value();
    } catch (NoSuchFieldException e) {
      return constant.toString();
    }
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
  private JsonNode resolveEnvironment(JsonNode node, String path, Collected problems) {
    if (node.isTextual()) {
      Matcher matcher = ENV_REFERENCE.matcher(node.textValue());
      if (!matcher.find()) return node;
      matcher.reset();
      StringBuilder resolved = new StringBuilder();
      while (matcher.find()) {
        String value = environment.apply(matcher.group(1));
        if (value == null) value = matcher.group(3);
        if (value == null) {
          problems.fail(path, "environment variable " + matcher.group(1)
              + " is not set; export it, or write ${" + matcher.group(1) + ":-default}");
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
      String allowed = java.util.Arrays.stream(format.getTargetType().getEnumConstants()).map(ConfigLoader::enumName)
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
    if (type == Integer.class || type == int.class || type == Long.class || type == long.class) return "a whole number";
    if (type == Double.class || type == double.class) return "a number";
    if (type == Boolean.class || type == boolean.class) return "true or false";
    return "a " + type.getSimpleName().toLowerCase(java.util.Locale.ROOT);
  }
}
