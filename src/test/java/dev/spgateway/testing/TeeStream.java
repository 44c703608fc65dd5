package dev.spgateway.testing;

import java.io.IOException;
import java.io.OutputStream;

/** Writes to both streams: a test reads what was logged, surefire still keeps it. */
public final class TeeStream extends OutputStream {

  private final OutputStream first;
  private final OutputStream second;

  public TeeStream(OutputStream first, OutputStream second) {
    this.first = first;
    this.second = second;
  }

  @Override
  public synchronized void write(int b) throws IOException {
    first.write(b);
    second.write(b);
  }

  @Override
  public synchronized void write(byte[] b, int off, int len) throws IOException {
    first.write(b, off, len);
    second.write(b, off, len);
  }
}
