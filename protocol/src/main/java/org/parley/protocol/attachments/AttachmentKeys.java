package org.parley.protocol.attachments;

import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.spec.SecretKeySpec;

/**
 * The 64-byte key of one attachment: AES-256 key, then HMAC-SHA256 key. Fresh and random for every
 * file, so a key tells nothing about any other attachment.
 */
public record AttachmentKeys(byte[] combined) {
  public static final int BYTES = 64;
  private static final SecureRandom RANDOM = new SecureRandom();

  public AttachmentKeys {
    if (combined == null || combined.length != BYTES) {
      throw new IllegalArgumentException("an attachment key has " + BYTES + " bytes");
    }
    combined = combined.clone();
  }

  public static AttachmentKeys random() {
    byte[] key = new byte[BYTES];
    RANDOM.nextBytes(key);
    return new AttachmentKeys(key);
  }

  /** A fresh random IV for one encryption. */
  public static byte[] randomIv() {
    byte[] iv = new byte[AttachmentSizes.IV_BYTES];
    RANDOM.nextBytes(iv);
    return iv;
  }

  @Override
  public byte[] combined() {
    return combined.clone();
  }

  SecretKeySpec aes() {
    return new SecretKeySpec(Arrays.copyOfRange(combined, 0, 32), "AES");
  }

  SecretKeySpec mac() {
    return new SecretKeySpec(Arrays.copyOfRange(combined, 32, 64), "HmacSHA256");
  }
}
