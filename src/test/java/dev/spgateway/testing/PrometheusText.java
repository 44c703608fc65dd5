package dev.spgateway.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads a /metrics page (Prometheus text format): samples, and the metric names they belong to. */
public final class PrometheusText {

  private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? (\\S+)$");

  private PrometheusText() {}

  /** "name{labels}" → value; every line that is not a comment must be a sample. */
  public static Map<String, Double> samples(String text) {
    Map<String, Double> samples = new LinkedHashMap<>();
    for (String line : text.lines().toList()) {
      if (line.startsWith("#") || line.isBlank()) continue;
      Matcher sample = SAMPLE.matcher(line);
      assertThat(sample.matches()).as(line).isTrue();
      samples.put(sample.group(1) + (sample.group(2) == null ? "" : sample.group(2)), Double.parseDouble(sample.group(4)));
    }
    return samples;
  }

  /** Metric names, with histograms' and summaries' series also under their family's name. */
  public static Set<String> names(Map<String, Double> samples) {
    Set<String> names = new TreeSet<>();
    for (String sample : samples.keySet()) {
      String name = sample.contains("{") ? sample.substring(0, sample.indexOf('{')) : sample;
      names.add(name);
      for (String suffix : List.of("_bucket", "_count", "_sum", "_max")) {
        if (name.endsWith(suffix)) names.add(name.substring(0, name.length() - suffix.length()));
      }
    }
    return names;
  }
}
