package dev.spgateway.identity;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the caller a presented key belongs to. Keys are looked up by their SHA-256, then compared in
 * constant time: timing can at most reveal something about the hash of a guess, never the key.
 */
public final class ApiKeyAuthenticator {

  private record Entry(byte[] hash, Caller caller) {}

  /** Keyed by the hash's bytes (a ByteBuffer compares by content), so a lookup formats nothing. */
  private final Map<ByteBuffer, Entry> byHash;

  /** {@code keys}: each caller's key hash, by caller name. */
  public ApiKeyAuthenticator(Map<String, ApiKeyConfig> keys) {
    Map<ByteBuffer, Entry> entries = new HashMap<>();
    keys.forEach((name, key) -> {
      byte[] hash = HexFormat.of().parseHex(key.sha256());
      entries.put(ByteBuffer.wrap(hash), new Entry(hash, new Caller(name, "api-key")));
    });
    this.byHash = Map.copyOf(entries);
  }

  public Optional<Caller> authenticate(String presentedKey) {
    byte[] hash = ApiKeys.sha256(presentedKey);
    Entry entry = byHash.get(ByteBuffer.wrap(hash));
    return entry != null && MessageDigest.isEqual(entry.hash(), hash) ? Optional.of(entry.caller()) : Optional.empty();
  }
}
