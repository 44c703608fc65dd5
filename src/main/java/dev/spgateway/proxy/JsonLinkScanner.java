package dev.spgateway.proxy;

import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.UnaryOperator;

/**
 * An incremental JSON scanner that rewrites the string values of a top-level object's
 * {@code @odata.nextLink} and {@code @odata.deltaLink}, and copies every other byte as it came. It is
 * fed a body chunk by chunk, keeps no more than one link value (at most {@link #MAX_LINK_BYTES}) and a
 * stack of open brackets, and is correct wherever a chunk ends: in a key, an escape, a link.
 *
 * <p>It reads structure strictly (objects, arrays, strings with their escapes, commas and colons at the
 * top level, no control characters in strings, brackets that close what they opened). Anything else
 * (a body that is not a JSON object, a syntax error, nesting deeper than {@link #MAX_DEPTH}) switches it
 * to copying the rest untouched: it never guesses, and never breaks a body it does not understand.
 * Values below the top level are skipped, not parsed: Graph puts the link before a page's
 * {@code value}, Dataverse after it, so every byte is looked at once, and only quotes, backslashes and
 * brackets are acted on.
 */
public final class JsonLinkScanner {

  /** Where the scanner's output goes: ranges of the chunk being fed, and replacement bytes in between. */
  public interface Sink {
    /** Bytes {@code [from, to)} of the chunk being fed, unchanged. */
    void copy(int from, int to);

    /** Bytes the scanner produced (a rewritten link, or a link held back across chunks). */
    void insert(byte[] bytes);
  }

  /** A link longer than this is passed on as it is (Dataverse's URLs are at most 32 KB). */
  public static final int MAX_LINK_BYTES = 64 * 1024;
  static final int MAX_DEPTH = 1000;

  private static final byte[] NEXT_LINK = "@odata.nextLink".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] DELTA_LINK = "@odata.deltaLink".getBytes(StandardCharsets.US_ASCII);
  private static final int MAX_KEY = 32;

  private enum State {
    ROOT, KEY_OR_END, KEY, COLON, VALUE, LINK, TOP_STRING, SCALAR, COMMA_OR_END, NESTED, NESTED_STRING, DONE,
    PASS
  }

  private final UnaryOperator<String> rewrite;
  private State state = State.ROOT;
  /** An escape's backslash was the last byte seen inside a string. */
  private boolean escaped;
  private final byte[] key = new byte[MAX_KEY];
  private int keyLength;
  private boolean keyEscaped;
  private boolean linkKey;
  /** A comma was read at the top level: a key must follow, not '}'. */
  private boolean keyAfterComma;
  private final ByteArrayOutputStream link = new ByteArrayOutputStream();
  /** Open brackets below the top level: '{' or '['. */
  private byte[] stack = new byte[16];
  private int depth;

  /** @param rewrite a link's new value, or {@code null} to leave it as it is */
  public JsonLinkScanner(UnaryOperator<String> rewrite) {
    this.rewrite = rewrite;
  }

  /**
   * Whether {@code body} holds a key this scanner rewrites: a link's key is only ever matched as its exact,
   * unescaped bytes followed by the closing quote, so a body without them passes through any scan unchanged.
   */
  public static boolean mayHoldLinks(ByteBuf body) {
    int end = body.writerIndex();
    for (int at = body.indexOf(body.readerIndex(), end, (byte) '@'); at >= 0;
        at = body.indexOf(at + 1, end, (byte) '@')) {
      if (keyAt(body, at, NEXT_LINK) || keyAt(body, at, DELTA_LINK)) return true;
    }
    return false;
  }

  private static boolean keyAt(ByteBuf body, int at, byte[] key) {
    if (at + key.length >= body.writerIndex() || body.getByte(at + key.length) != '"') return false;
    for (int i = 1; i < key.length; i++) {
      if (body.getByte(at + i) != key[i]) return false;
    }
    return true;
  }

  /** True once the body is known not to be JSON this scanner reads: the rest is copied as is. */
  public boolean passing() {
    return state == State.PASS;
  }

  /** Scans {@code data[off, off + len)}; ranges given to {@code sink} are relative to {@code off}. */
  public void feed(byte[] data, int off, int len, Sink sink) {
    int end = off + len;
    int copyFrom = off;
    int i = off;
    while (i < end) {
      switch (state) {
        case NESTED, NESTED_STRING -> i = nested(data, i, end);
        case TOP_STRING -> i = string(data, i, end);
        case PASS -> i = end;
        case LINK -> {
          int start = i;
          while (i < end) {
            byte b = data[i];
            if (escaped) {
              escaped = false;
            } else if (b == '\\') {
              escaped = true;
            } else if (b == '"') {
              break;
            } else if (b >= 0 && b < 0x20) {
              link.write(data, start, i - start);
              releaseLink(sink, false);
              state = State.PASS;
              copyFrom = i;
              break;
            }
            i++;
          }
          if (state == State.PASS) continue;
          link.write(data, start, i - start);
          if (i == end) {
            if (link.size() > MAX_LINK_BYTES) {
              releaseLink(sink, false);
              state = State.TOP_STRING; // too long to be a link worth rewriting: the rest of it is copied
              copyFrom = end;
            }
            continue;
          }
          releaseLink(sink, true); // data[i] is the closing quote, written by releaseLink
          i++;
          copyFrom = i;
          state = State.COMMA_OR_END;
        }
        default -> {
          byte b = data[i];
          top(b);
          i++;
          if (state == State.LINK) {
            // The opening quote of a link value: what came before it is copied, the link is held.
            sink.copy(copyFrom - off, i - 1 - off);
            link.reset();
            copyFrom = i;
          }
        }
      }
    }
    if (state != State.LINK && copyFrom < end) sink.copy(copyFrom - off, end - off);
  }

  /** The body ended: a link cut short is passed on as it came. */
  public void end(Sink sink) {
    if (state == State.LINK) {
      releaseLink(sink, false);
      state = State.PASS;
    }
  }

  /** One byte at the top level (outside nested values and top-level strings). */
  private void top(byte b) {
    boolean space = b == ' ' || b == '\t' || b == '\n' || b == '\r';
    switch (state) {
      case ROOT -> {
        if (b == '{') state = State.KEY_OR_END;
        else if (!space) state = State.PASS;
      }
      case KEY_OR_END -> {
        if (b == '"') startKey();
        else if (b == '}' && depth == 0 && !keyAfterComma) state = State.DONE;
        else if (!space) state = State.PASS;
      }
      case KEY -> key(b);
      case COLON -> {
        if (b == ':') state = State.VALUE;
        else if (!space) state = State.PASS;
      }
      case VALUE -> {
        if (b == '"') {
          state = linkKey ? State.LINK : State.TOP_STRING;
          escaped = false;
        } else if (b == '{' || b == '[') {
          push(b);
          state = State.NESTED;
        } else if (isScalar(b)) {
          state = State.SCALAR;
        } else if (!space) {
          state = State.PASS;
        }
      }
      case SCALAR -> {
        if (b == ',') nextKey();
        else if (b == '}') state = State.DONE;
        else if (space) state = State.COMMA_OR_END;
        else if (!isScalar(b)) state = State.PASS;
      }
      case COMMA_OR_END -> {
        if (b == ',') nextKey();
        else if (b == '}') state = State.DONE;
        else if (!space) state = State.PASS;
      }
      case DONE -> {
        if (!space) state = State.PASS;
      }
      default -> throw new IllegalStateException(state.name());
    }
  }

  private void nextKey() {
    state = State.KEY_OR_END;
    keyAfterComma = true;
  }

  private void startKey() {
    state = State.KEY;
    keyLength = 0;
    keyEscaped = false;
    escaped = false;
    keyAfterComma = false;
  }

  private void key(byte b) {
    if (escaped) {
      escaped = false;
    } else if (b == '\\') {
      escaped = true;
      keyEscaped = true;
    } else if (b == '"') {
      linkKey = !keyEscaped && keyLength <= MAX_KEY && (matches(NEXT_LINK) || matches(DELTA_LINK));
      state = State.COLON;
      return;
    } else if (b >= 0 && b < 0x20) {
      state = State.PASS;
      return;
    }
    // An escaped key is never taken for a link name: OData writes annotation names plainly.
    if (keyLength < MAX_KEY) key[keyLength] = b;
    keyLength++;
  }

  private boolean matches(byte[] name) {
    return keyLength == name.length && Arrays.equals(key, 0, keyLength, name, 0, name.length);
  }

  private static boolean isScalar(byte b) {
    return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || b == '-' || b == '+' || b == '.' || b == 'E';
  }

  /** Inside a top-level string value that is not a link: only its end matters. */
  private int string(byte[] data, int i, int end) {
    while (i < end) {
      byte b = data[i++];
      if (escaped) {
        escaped = false;
      } else if (b == '\\') {
        escaped = true;
      } else if (b == '"') {
        state = State.COMMA_OR_END;
        return i;
      } else if (b >= 0 && b < 0x20) {
        state = State.PASS;
        return i;
      }
    }
    return i;
  }

  /**
   * Below the top level: strings (skipped to their closing quote) and brackets that must close what they
   * opened. The hot loop: most of a page's bytes are here, so each byte costs one table lookup.
   */
  private int nested(byte[] data, int i, int end) {
    boolean inString = state == State.NESTED_STRING;
    boolean escape = escaped;
    while (i < end) {
      if (inString) {
        if (escape) {
          escape = false;
          i++;
          continue;
        }
        i = ordinaryStringBytes(data, i, end);
        if (i == end) break;
        byte b = data[i++];
        if (b == '"') {
          inString = false;
        } else if (b == '\\') {
          escape = true;
        } else {
          state = State.PASS; // a raw control character: not JSON
          return i;
        }
        continue;
      }
      while (i < end && !STRUCTURAL[data[i] & 0xff]) i++; // numbers, literals, commas, colons, spaces
      if (i == end) break;
      byte b = data[i++];
      if (b == '"') {
        inString = true;
      } else if (b == '{' || b == '[') {
        if (!push(b)) return i;
      } else if (depth == 0 || stack[depth - 1] != (b == '}' ? '{' : '[')) {
        state = State.PASS;
        return i;
      } else if (--depth == 0) {
        state = State.COMMA_OR_END;
        escaped = false;
        return i;
      }
    }
    state = inString ? State.NESTED_STRING : State.NESTED;
    escaped = escape;
    return i;
  }

  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGH_BITS = 0x8080808080808080L;

  /**
   * Where the run of ordinary string bytes from {@code i} ends: at a quote, a backslash or a control character, or
   * {@code end}. Eight bytes at a time (a SWAR test: a byte equal to '"' or '\\', or below 0x20, sets its high bit;
   * the lowest set bit is always a real one), then byte by byte.
   */
  private static int ordinaryStringBytes(byte[] data, int i, int end) {
    while (i + 8 <= end) {
      long x = (long) LONGS.get(data, i);
      long quote = x ^ 0x2222222222222222L;
      long backslash = x ^ 0x5C5C5C5C5C5C5C5CL;
      long found = (((quote - ONES) & ~quote) | ((backslash - ONES) & ~backslash) | ((x - 0x2020202020202020L) & ~x))
          & HIGH_BITS;
      if (found != 0) return i + (Long.numberOfTrailingZeros(found) >>> 3);
      i += 8;
    }
    while (i < end && !IN_STRING[data[i] & 0xff]) i++;
    return i;
  }

  /** Bytes that end a run of ordinary string content: the quote, the backslash, and control characters. */
  private static final boolean[] IN_STRING = new boolean[256];
  /** Bytes that matter between values below the top level. */
  private static final boolean[] STRUCTURAL = new boolean[256];

  static {
    for (int c = 0; c < 0x20; c++) IN_STRING[c] = true;
    IN_STRING['"'] = true;
    IN_STRING['\\'] = true;
    for (char c : "\"{}[]".toCharArray()) STRUCTURAL[c] = true;
  }

  private boolean push(byte b) {
    if (depth == MAX_DEPTH) {
      state = State.PASS;
      return false;
    }
    if (depth == stack.length) stack = Arrays.copyOf(stack, depth * 2);
    stack[depth++] = b;
    return true;
  }

  /** Writes the held link out, between quotes: rewritten when {@code complete} and the rewrite applies. */
  private void releaseLink(Sink sink, boolean complete) {
    byte[] raw = link.toByteArray();
    link.reset();
    String decoded = complete && raw.length <= MAX_LINK_BYTES ? JsonStrings.decode(raw) : null;
    String replaced = decoded == null ? null : rewrite.apply(decoded);
    byte[] value = replaced == null ? raw : JsonStrings.encode(replaced);
    byte[] out = new byte[value.length + (complete ? 2 : 1)];
    out[0] = '"';
    System.arraycopy(value, 0, out, 1, value.length);
    if (complete) out[out.length - 1] = '"';
    sink.insert(out);
  }
}
