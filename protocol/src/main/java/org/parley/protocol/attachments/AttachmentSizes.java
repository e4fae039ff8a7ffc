package org.parley.protocol.attachments;

/**
 * The sizes of an attachment on its way (DESIGN.md §15). The plaintext is padded with zeros to a
 * bucket that grows by 5% per step, as Signal does, so that the server and the network learn only
 * the bucket, not the size; then it is encrypted in Signal's layout: IV, AES-256-CBC with PKCS#7, and
 * an HMAC-SHA256 over both.
 */
public final class AttachmentSizes {
  public static final int IV_BYTES = 16;
  public static final int MAC_BYTES = 32;
  public static final int BLOCK_BYTES = 16;
  /** Smallest bucket: every attachment is at least this long once padded. */
  static final long MIN_PADDED = 541;

  private AttachmentSizes() {}

  /** The bucket a plaintext of {@code size} bytes is padded to: max(541, floor(1.05^ceil(log_1.05(size)))). */
  public static long paddedSize(long size) {
    if (size < 0) {
      throw new IllegalArgumentException("a size cannot be negative");
    }
    long bucket = (long) Math.floor(Math.pow(1.05, Math.ceil(Math.log(size) / Math.log(1.05))));
    // Floating point may land a hair below the size it must hold; never pad to less than the size.
    return Math.max(MIN_PADDED, Math.max(bucket, size));
  }

  /** The length of the blob a plaintext of {@code size} bytes becomes. */
  public static long encryptedSize(long size) {
    long padded = paddedSize(size);
    return IV_BYTES + (padded / BLOCK_BYTES + 1) * BLOCK_BYTES + MAC_BYTES;
  }
}
