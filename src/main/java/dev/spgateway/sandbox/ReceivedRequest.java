package dev.spgateway.sandbox;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/**
 * One request as a stand-in received it, before it judged it: tests use these to prove what reached
 * an upstream (or that nothing did). {@code headers} is a case-insensitive copy.
 */
public record ReceivedRequest(String method, String uri, MultiMap headers, Buffer body) {

  public String header(String name) {
    return headers.get(name);
  }
}
