package dev.spgateway.proxy;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

/** An upstream's answer body on its way to the caller: streamed as it comes, or read whole. */
public sealed interface Body permits Body.Streamed, WholeBody {

  /** Its length in bytes, or -1 when it is not known before its end. */
  long length();

  /** Passed on as it arrives; {@code length} as the upstream declared it, -1 when it did not. */
  record Streamed(ReadStream<Buffer> stream, long length) implements Body {}
}
