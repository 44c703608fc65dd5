package dev.spgateway.proxy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** The inside of a JSON string (between its quotes), as bytes, to text and back. */
final class JsonStrings {

  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  private JsonStrings() {}

  /** The text of a JSON string's raw bytes, or {@code null} when they are not a valid JSON string. */
  static String decode(byte[] raw) {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw)).toString();
    } catch (CharacterCodingException e) {
      return null;
    }
    if (text.indexOf('\\') < 0) return text;
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c != '\\') {
        out.append(c);
        continue;
      }
      if (++i == text.length()) return null;
      switch (text.charAt(i)) {
        case '"' -> out.append('"');
        case '\\' -> out.append('\\');
        case '/' -> out.append('/');
        case 'b' -> out.append('\b');
        case 'f' -> out.append('\f');
        case 'n' -> out.append('\n');
        case 'r' -> out.append('\r');
        case 't' -> out.append('\t');
        case 'u' -> {
          int value = 0;
          for (int k = 1; k <= 4; k++) {
            int digit = i + k < text.length() ? Character.digit(text.charAt(i + k), 16) : -1;
            if (digit < 0) return null;
            value = value * 16 + digit;
          }
          out.append((char) value);
          i += 4;
        }
        default -> {
          return null;
        }
      }
    }
    return out.toString();
  }

  /** The bytes of {@code text} as the inside of a JSON string: quotes, backslashes and controls escaped. */
  static byte[] encode(String text) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(text.length() + 8);
    byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
    for (byte b : utf8) {
      if (b == '"' || b == '\\') {
        out.write('\\');
        out.write(b);
      } else if (b >= 0 && b < 0x20) {
        out.write('\\');
        out.write('u');
        out.write('0');
        out.write('0');
        out.write(HEX[b >> 4]);
        out.write(HEX[b & 0xf]);
      } else {
        out.write(b);
      }
    }
    return out.toByteArray();
  }
}
