package dev.spgateway.policy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One caller's rules for one upstream, indexed by method and then by path segment in a trie, so a
 * decision looks at the few rules whose literal segments fit instead of trying every rule. Placeholder
 * segments with a literal prefix up to {@code (} ({@code accounts({id:key})}, hundreds of entity sets
 * side by side) are found by that prefix too; only the rest are tried one by one.
 */
final class RuleIndex {

  /** Placeholder segments that share a node, with the subtrees below them. */
  private static final class Patterns {
    final List<PathTemplate.Segment> segments = new ArrayList<>();
    final List<Node> nodes = new ArrayList<>();

    Node add(PathTemplate.Segment segment) {
      int at = segments.indexOf(segment);
      if (at >= 0) return nodes.get(at);
      segments.add(segment);
      nodes.add(new Node());
      return nodes.get(nodes.size() - 1);
    }
  }

  private static final class Node {
    final Map<String, Node> literals = new HashMap<>();
    /** Keyed by the literal prefix up to and including {@code (}. */
    final Map<String, Patterns> keyedPatterns = new HashMap<>();
    final Patterns patterns = new Patterns();
    final List<CompiledRule> ends = new ArrayList<>();
    final List<CompiledRule> tails = new ArrayList<>();
  }

  private final Map<String, Node> byMethod = new HashMap<>();
  private final boolean ignoreCase;

  RuleIndex(List<CompiledRule> rules, boolean ignoreCase) {
    this.ignoreCase = ignoreCase;
    for (CompiledRule rule : rules) add(rule);
  }

  private void add(CompiledRule rule) {
    Node node = byMethod.computeIfAbsent(rule.method(), m -> new Node());
    for (PathTemplate.Segment segment : rule.template().segments()) {
      if (segment.isTail()) {
        node.tails.add(rule);
        return;
      }
      if (segment.isLiteral()) {
        node = node.literals.computeIfAbsent(key(segment.prefix()), k -> new Node());
      } else {
        String prefix = segment.prefix();
        node = prefix.endsWith("(") && prefix.indexOf('(') == prefix.length() - 1
            ? node.keyedPatterns.computeIfAbsent(key(prefix), k -> new Patterns()).add(segment)
            : node.patterns.add(segment);
      }
    }
    node.ends.add(rule);
  }

  /** The rules whose method and path match, in config order. HEAD is judged as GET. */
  List<CompiledRule> candidates(String method, String[] segments) {
    Node root = byMethod.get(method.equals("HEAD") ? "GET" : method);
    if (root == null) return List.of();
    List<CompiledRule> found = new ArrayList<>(2);
    collect(root, segments, 0, found);
    if (found.size() > 1) found.sort((a, b) -> Integer.compare(a.order(), b.order()));
    return found;
  }

  private void collect(Node node, String[] segments, int at, List<CompiledRule> found) {
    if (at == segments.length) {
      found.addAll(node.ends);
      return;
    }
    found.addAll(node.tails);
    String segment = segments[at];
    Node literal = node.literals.get(key(segment));
    if (literal != null) collect(literal, segments, at + 1, found);
    int parenthesis = segment.indexOf('(');
    if (parenthesis >= 0 && !node.keyedPatterns.isEmpty()) {
      Patterns keyed = node.keyedPatterns.get(key(segment.substring(0, parenthesis + 1)));
      if (keyed != null) collect(keyed, segments, at, found);
    }
    collect(node.patterns, segments, at, found);
  }

  private void collect(Patterns patterns, String[] segments, int at, List<CompiledRule> found) {
    for (int i = 0; i < patterns.segments.size(); i++) {
      if (patterns.segments.get(i).matches(segments[at], ignoreCase)) collect(patterns.nodes.get(i), segments, at + 1, found);
    }
  }

  private String key(String literal) {
    return ignoreCase ? literal.toLowerCase(Locale.ROOT) : literal;
  }
}
