package dev.spgateway.policy;

import java.util.List;

/**
 * The request bodies a rule accepts. GET, HEAD and DELETE accept none unless {@code maxBytes} says so.
 *
 * @param maxBytes the largest declared {@code Content-Length}; 1 MiB when absent for methods with bodies
 * @param contentTypes media types accepted; {@code application/json} when absent; {@code *}{@code /*} accepts any, or none
 * @param unknownLength whether a body of undeclared length (chunked) is accepted: it streams to the
 *     upstream before its size is known, so {@code maxBytes} cannot hold it back; refused unless true
 */
public record BodyRules(Long maxBytes, List<String> contentTypes, Boolean unknownLength) {

  /** Accepts any media type, or none. */
  public static final String ANY_TYPE = "*/*";

  public static final long DEFAULT_MAX_BYTES = 1 << 20;
  public static final List<String> DEFAULT_CONTENT_TYPES = List.of("application/json");

  public BodyRules {
    contentTypes = contentTypes == null ? null : List.copyOf(contentTypes);
    unknownLength = Boolean.TRUE.equals(unknownLength);
  }
}
