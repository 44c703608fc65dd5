package dev.spgateway.policy;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A Content-Type value (RFC 9110 §8.3.1), read one way only: {@code type/subtype} then {@code ;name=value}
 * parameters, a value a token or a quoted string. Everything a looser parser downstream might read differently is
 * refused: an empty or repeated parameter, a parameter without {@code =}, characters outside tokens, text after a
 * quoted string. The one parser of media types: rules, the batch judge and the batch parsers use it.
 *
 * @param type {@code type/subtype}, lower case
 * @param parameters names lower case, values unquoted, in the order sent
 */
public record MediaType(String type, Map<String, String> parameters) {

  /** A value that cannot be read one way only; the message says why (it quotes at most a short, printable part). */
  public static final class Malformed extends RuntimeException {
    Malformed(String message) {
      super(message, null, false, false);
    }
  }

  private static final String TCHAR = "!#$%&'*+-.^_`|~";

  /** Reads {@code value}; throws {@link Malformed}. */
  public static MediaType parse(String value) {
    int at = token(value, 0);
    if (at == 0 || at >= value.length() || value.charAt(at) != '/') throw malformed(value, "is not type/subtype");
    int end = token(value, at + 1);
    if (end == at + 1) throw malformed(value, "is not type/subtype");
    String type = value.substring(0, end).toLowerCase(Locale.ROOT);
    Map<String, String> parameters = new LinkedHashMap<>();
    int i = spaces(value, end);
    while (i < value.length()) {
      if (value.charAt(i) != ';') throw malformed(value, "has something other than ';' after " + type);
      i = spaces(value, i + 1);
      int nameEnd = token(value, i);
      if (nameEnd == i) throw malformed(value, "has an empty parameter");
      String name = value.substring(i, nameEnd).toLowerCase(Locale.ROOT);
      if (nameEnd >= value.length() || value.charAt(nameEnd) != '=') {
        throw malformed(value, "has a parameter '" + name + "' without '=value'");
      }
      i = nameEnd + 1;
      String parameter;
      if (i < value.length() && value.charAt(i) == '"') {
        StringBuilder quoted = new StringBuilder();
        i++;
        while (true) {
          if (i >= value.length()) throw malformed(value, "has an unterminated quoted string");
          char c = value.charAt(i++);
          if (c == '"') break;
          if (c == '\\') {
            if (i >= value.length()) throw malformed(value, "has an unterminated quoted string");
            c = value.charAt(i++);
          }
          if (c < 0x20 && c != '\t' || c == 0x7f || c > 0xff) throw malformed(value, "has a control character");
          quoted.append(c);
        }
        parameter = quoted.toString();
      } else {
        int valueEnd = token(value, i);
        if (valueEnd == i) throw malformed(value, "has a parameter '" + name + "' without a value");
        parameter = value.substring(i, valueEnd);
        i = valueEnd;
      }
      if (parameters.put(name, parameter) != null) throw malformed(value, "names the parameter '" + name + "' twice");
      i = spaces(value, i);
    }
    return new MediaType(type, Collections.unmodifiableMap(parameters));
  }

  /** The parameter {@code name} (lower case), or null. */
  public String parameter(String name) {
    return parameters.get(name);
  }

  /** Throws {@link Malformed} unless every parameter is one of {@code allowed}. */
  public MediaType onlyParameters(Set<String> allowed, String where) {
    for (String name : parameters.keySet()) {
      if (!allowed.contains(name)) {
        throw new Malformed(where + " has the parameter '" + name + "', which is not used here; send only "
            + (allowed.isEmpty() ? "the media type" : String.join(", ", allowed.stream().sorted().toList())));
      }
    }
    return this;
  }

  /** The value written back in one form: the type, then each parameter, quoted only when it must be. */
  @Override
  public String toString() {
    StringBuilder text = new StringBuilder(type);
    parameters.forEach((name, value) -> {
      text.append(';').append(name).append('=');
      if (!value.isEmpty() && token(value, 0) == value.length()) {
        text.append(value);
      } else {
        text.append('"').append(value.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
      }
    });
    return text.toString();
  }

  private static int token(String value, int from) {
    int i = from;
    while (i < value.length()) {
      char c = value.charAt(i);
      if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || TCHAR.indexOf(c) >= 0)) break;
      i++;
    }
    return i;
  }

  private static int spaces(String value, int from) {
    int i = from;
    while (i < value.length() && (value.charAt(i) == ' ' || value.charAt(i) == '\t')) i++;
    return i;
  }

  private static Malformed malformed(String value, String why) {
    String shown = value.length() > 80 ? value.substring(0, 80) + "..." : value;
    StringBuilder printable = new StringBuilder();
    shown.chars().forEach(c -> printable.append(c < 0x20 || c > 0x7e ? '?' : (char) c));
    return new Malformed("the Content-Type '" + printable + "' " + why);
  }
}
