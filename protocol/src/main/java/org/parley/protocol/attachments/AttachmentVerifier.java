package org.parley.protocol.attachments;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Mac;

/**
 * Checks a downloaded blob as its bytes go by, in a fixed amount of memory: its length, its SHA-256
 * against the pointer's digest, and the HMAC-SHA256 over IV and ciphertext against the MAC at its
 * end. Nothing may be decrypted before {@link #verify} has passed.
 */
public final class AttachmentVerifier {
  private final long expectedLength;
  private final Mac mac;
  private final MessageDigest digest;
  private final byte[] theirMac = new byte[AttachmentSizes.MAC_BYTES];
  private long position;

  /** @param plainSize the plaintext size the pointer states; the blob's length follows from it */
  public AttachmentVerifier(AttachmentKeys keys, long plainSize) {
    this.expectedLength = AttachmentSizes.encryptedSize(plainSize);
    try {
      this.mac = Mac.getInstance("HmacSHA256");
      mac.init(keys.mac());
      this.digest = MessageDigest.getInstance("SHA-256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK lacks HMAC-SHA256 or SHA-256", e);
    }
  }

  public long expectedLength() {
    return expectedLength;
  }

  public void update(byte[] bytes, int offset, int length) {
    digest.update(bytes, offset, length);
    long macEnd = expectedLength - AttachmentSizes.MAC_BYTES;
    // The part before the MAC goes into our MAC; the last 32 bytes are theirs.
    int body = (int) Math.max(0, Math.min(length, macEnd - position));
    if (body > 0) {
      mac.update(bytes, offset, body);
    }
    for (int i = body; i < length; i++) {
      long at = position + i - macEnd;
      if (at >= 0 && at < theirMac.length) {
        theirMac[(int) at] = bytes[offset + i];
      }
    }
    position += length;
  }

  /** Throws unless the blob had the expected length, the expected digest and a valid MAC. */
  public void verify(byte[] expectedDigest) throws AttachmentException {
    if (position != expectedLength) {
      throw new AttachmentException(
          "the blob has " + position + " bytes but an attachment of the stated size has " + expectedLength);
    }
    if (!MessageDigest.isEqual(digest.digest(), expectedDigest)) {
      throw new AttachmentException("the blob's SHA-256 is not the digest the sender stated");
    }
    if (!MessageDigest.isEqual(mac.doFinal(), theirMac)) {
      throw new AttachmentException("the blob's MAC does not match: it was altered or made with another key");
    }
  }
}
