package dev.spgateway.policy;

import java.util.ArrayList;
import java.util.List;

/**
 * Parses a decoded {@code $expand} value ({@code manager($select=id;$expand=directReports),memberOf/$ref})
 * into a tree, so the policy can see every navigation property and how deep they nest.
 */
final class ExpandParser {

  /**
   * One expanded navigation property.
   *
   * @param path its path: property names, type casts ({@code microsoft.graph.user}) and {@code $ref}/{@code $count}
   * @param options its nested options other than {@code $expand}, name → raw value
   * @param nested the properties its own {@code $expand} expands
   */
  record Item(List<String> path, List<String[]> options, List<Item> nested) {}

  private final String text;
  private int position;

  private ExpandParser(String text) {
    this.text = text;
  }

  static List<Item> parse(String decoded) {
    ExpandParser parser = new ExpandParser(decoded);
    List<Item> items = parser.items();
    if (parser.position != decoded.length()) parser.fail("unexpected '" + decoded.charAt(parser.position) + "'");
    return items;
  }

  private List<Item> items() {
    List<Item> items = new ArrayList<>();
    items.add(item());
    while (peek() == ',') {
      position++;
      items.add(item());
    }
    return items;
  }

  private Item item() {
    List<String> path = new ArrayList<>();
    path.add(identifier());
    while (peek() == '/') {
      position++;
      path.add(identifier());
    }
    List<String[]> options = new ArrayList<>();
    List<Item> nested = List.of();
    if (peek() == '(') {
      position++;
      do {
        if (peek() == ';') position++;
        String name = identifier();
        if (peek() != '=') fail("'" + name + "' needs '=' and a value");
        position++;
        if (name.equals("$expand")) {
          if (!nested.isEmpty()) fail("$expand is given twice inside one item");
          nested = items();
        } else {
          options.add(new String[] {name, value()});
        }
      } while (peek() == ';');
      if (peek() != ')') fail("a '(' is not closed");
      position++;
    }
    return new Item(List.copyOf(path), List.copyOf(options), nested);
  }

  private String identifier() {
    int start = position;
    if (peek() == '$' || peek() == '*') position++;
    while (position < text.length()) {
      char c = text.charAt(position);
      if (!(Character.isLetterOrDigit(c) || c == '_' || c == '.')) break;
      position++;
    }
    if (position == start) fail(position < text.length() ? "unexpected '" + text.charAt(position) + "'" : "it ends too early");
    return text.substring(start, position);
  }

  /** A nested option's value: up to the next ';' or ')' outside quotes and parentheses. */
  private String value() {
    int start = position;
    int depth = 0;
    boolean quoted = false;
    for (; position < text.length(); position++) {
      char c = text.charAt(position);
      if (c == '\'') {
        quoted = !quoted;
      } else if (!quoted && c == '(') {
        depth++;
      } else if (!quoted && c == ')') {
        if (depth == 0) break;
        depth--;
      } else if (!quoted && c == ';' && depth == 0) {
        break;
      }
    }
    if (quoted) fail("a quote is not closed");
    return text.substring(start, position);
  }

  private char peek() {
    return position < text.length() ? text.charAt(position) : '\0';
  }

  private void fail(String why) {
    throw new BadTarget("$expand cannot be read at character " + (position + 1) + ": " + why);
  }
}
