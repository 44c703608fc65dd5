package dev.spgateway.policy.batch;

/**
 * The {@code batch:} section. A {@code $batch} body is read into memory before any of it is forwarded, because
 * every sub-request must be judged first; this bounds that memory per request.
 *
 * <pre>
 * batch:
 *   maxBodyBytes: 1048576   # larger batches are refused with 413 (optional; 1 MiB)
 * </pre>
 *
 * @param maxBodyBytes the largest {@code $batch} body accepted, in bytes
 */
public record BatchConfig(Long maxBodyBytes) {

  public static final long DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
  /** Far above what 1,000 Dataverse sub-requests need, low enough that a few batches cannot exhaust the heap. */
  public static final long MAX_BODY_BYTES_CEILING = 16 * 1024 * 1024;

  public BatchConfig {
    if (maxBodyBytes == null) maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
    if (maxBodyBytes < 1 || maxBodyBytes > MAX_BODY_BYTES_CEILING) {
      throw new IllegalArgumentException("maxBodyBytes " + maxBodyBytes + " is out of range; give 1 to "
          + MAX_BODY_BYTES_CEILING + " bytes (default " + DEFAULT_MAX_BODY_BYTES + ")");
    }
  }

  public static BatchConfig defaults() {
    return new BatchConfig(null);
  }
}
