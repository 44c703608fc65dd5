package dev.spgateway.policy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One caller's rules for one upstream, indexed by method and then by path segment in a trie, so a
 * decision looks at the few rules whose literal segments fit instead of trying every rule.
 */
final class RuleIndex {

  private static final class Node {
    final Map<String, Node> literals = new HashMap<>();
    final List<PathTemplate.Segment> patterns = new ArrayList<>();
    final List<Node> patternNodes = new ArrayList<>();
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
        int at = node.patterns.indexOf(segment);
        if (at < 0) {
          node.patterns.add(segment);
          node.patternNodes.add(new Node());
          at = node.patterns.size() - 1;
        }
        node = node.patternNodes.get(at);
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
    Node literal = node.literals.get(key(segments[at]));
    if (literal != null) collect(literal, segments, at + 1, found);
    for (int i = 0; i < node.patterns.size(); i++) {
      if (node.patterns.get(i).matches(segments[at], ignoreCase)) collect(node.patternNodes.get(i), segments, at + 1, found);
    }
  }

  private String key(String literal) {
    return ignoreCase ? literal.toLowerCase(Locale.ROOT) : literal;
  }
}
