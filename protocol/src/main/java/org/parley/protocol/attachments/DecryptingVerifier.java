package org.parley.protocol.attachments;

import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;

/**
 * Checks and decrypts a downloaded blob in one pass as its bytes arrive, in a fixed amount of memory:
 * its length, its SHA-256 against the pointer's digest, the HMAC-SHA256 over IV and ciphertext
 * against the MAC at its end, and AES-256-CBC of the ciphertext to the first {@code plainSize} bytes
 * (the rest is padding). The plaintext goes to the sink before the checks have passed, so the sink
 * must be a file only this device can see, kept out of the user's sight until {@link #finish}
 * passed and thrown away if it throws. The padding is checked last, after the MAC, so nothing about
 * a forged blob's padding is ever told.
 *
 * <p>A download that broke off continues with {@link #resume}: the plaintext written so far is
 * encrypted again with the same key and IV, which gives the same ciphertext, so the digest and the
 * MAC are taken up where they were and whatever was altered in the stored part fails them.
 */
public final class DecryptingVerifier {
  private static final int CHUNK = 64 * 1024;

  /** Where the plaintext goes, in order. */
  @FunctionalInterface
  public interface Sink {
    void write(byte[] bytes, int offset, int length) throws IOException;
  }

  private final AttachmentKeys keys;
  private final long plainSize;
  private final long length;
  private final long macStart;
  private final Sink sink;
  private final Mac mac;
  private final MessageDigest digest;
  private final byte[] iv = new byte[AttachmentSizes.IV_BYTES];
  private final byte[] theirMac = new byte[AttachmentSizes.MAC_BYTES];
  private final byte[] out = new byte[CHUNK + AttachmentSizes.BLOCK_BYTES];
  private Cipher cipher;
  private long position;
  private long written;
  private boolean broken;

  /** @param plainSize the plaintext size the pointer states; the blob's length follows from it */
  public DecryptingVerifier(AttachmentKeys keys, long plainSize, Sink sink) {
    this.keys = keys;
    this.plainSize = plainSize;
    this.length = AttachmentSizes.encryptedSize(plainSize);
    this.macStart = length - AttachmentSizes.MAC_BYTES;
    this.sink = sink;
    try {
      this.mac = Mac.getInstance("HmacSHA256");
      mac.init(keys.mac());
      this.digest = MessageDigest.getInstance("SHA-256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK lacks HMAC-SHA256 or SHA-256", e);
    }
  }

  /** The blob's length. */
  public long length() {
    return length;
  }

  /** The bytes of the blob taken in so far: where a download continues. */
  public long position() {
    return position;
  }

  /** The blob's IV (kept by whoever wants to {@link #resume}), or null before its 16 bytes arrived. */
  public byte[] iv() {
    return cipher == null ? null : iv.clone();
  }

  /**
   * Takes up a download that broke off: {@code iv} is the blob's first 16 bytes, {@code plaintext}
   * the first {@code bytes} bytes this verifier handed to the sink then (a whole number of blocks,
   * at most the stated size). Afterwards the download continues at {@link #position()}.
   */
  public void resume(byte[] iv, InputStream plaintext, long bytes) throws IOException {
    if (position != 0 || iv.length != AttachmentSizes.IV_BYTES || bytes % AttachmentSizes.BLOCK_BYTES != 0
        || bytes < 0 || bytes > plainSize) {
      throw new IllegalArgumentException("a download resumes once, from an IV and whole blocks of the plaintext");
    }
    update(iv, 0, iv.length);
    byte[] last = iv.clone();
    try {
      Cipher again = Cipher.getInstance("AES/CBC/NoPadding");
      again.init(Cipher.ENCRYPT_MODE, keys.aes(), new IvParameterSpec(iv));
      byte[] in = new byte[CHUNK];
      for (long left = bytes; left > 0; ) {
        int n = plaintext.readNBytes(in, 0, (int) Math.min(CHUNK, left));
        if (n == 0) {
          throw new IOException("the stored part of the download is shorter than " + bytes + " bytes");
        }
        int produced = again.update(in, 0, n, out, 0);
        digest.update(out, 0, produced);
        mac.update(out, 0, produced);
        if (produced >= AttachmentSizes.BLOCK_BYTES) {
          System.arraycopy(out, produced - AttachmentSizes.BLOCK_BYTES, last, 0, AttachmentSizes.BLOCK_BYTES);
        }
        left -= n;
      }
      // CBC: the next block is decrypted against the last ciphertext block.
      cipher.init(Cipher.DECRYPT_MODE, keys.aes(), new IvParameterSpec(last));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK lacks AES-CBC", e);
    }
    position += bytes;
    written = bytes;
  }

  /** Takes in the next bytes of the blob, and hands on the plaintext they complete. */
  public void update(byte[] bytes, int offset, int count) throws IOException {
    if (broken) {
      throw new IllegalStateException("a write of the plaintext failed: resume from what was written instead");
    }
    if (position + count > length) {
      throw new AttachmentException("the blob is longer than the " + length + " bytes of an attachment of the stated size");
    }
    digest.update(bytes, offset, count);
    int end = offset + count;
    int at = offset;
    while (at < end && position < AttachmentSizes.IV_BYTES) {
      iv[(int) position++] = bytes[at++];
      if (position == AttachmentSizes.IV_BYTES) {
        mac.update(iv);
        cipher = cipher(iv);
      }
    }
    while (at < end && position < macStart) {
      int n = (int) Math.min(Math.min(end - at, CHUNK), macStart - position);
      mac.update(bytes, at, n);
      int produced;
      try {
        produced = cipher.update(bytes, at, n, out, 0);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("AES-CBC failed", e);
      }
      hand(produced);
      at += n;
      position += n;
    }
    while (at < end) {
      theirMac[(int) (position++ - macStart)] = bytes[at++];
    }
  }

  /**
   * Throws unless the blob had the expected length, digest and MAC, and its padding is valid; then
   * hands on the rest of the plaintext. Only now may the sink's file be shown.
   */
  public void finish(byte[] expectedDigest) throws IOException {
    if (broken) {
      throw new IllegalStateException("a write of the plaintext failed: resume from what was written instead");
    }
    if (position != length) {
      throw new AttachmentException("the blob has " + position + " bytes but an attachment of the stated size has " + length);
    }
    if (!MessageDigest.isEqual(digest.digest(), expectedDigest)) {
      throw new AttachmentException("the blob's SHA-256 is not the digest the sender stated");
    }
    if (!MessageDigest.isEqual(mac.doFinal(), theirMac)) {
      throw new AttachmentException("the blob's MAC does not match: it was altered or made with another key");
    }
    int last;
    try {
      last = cipher.doFinal(out, 0);
    } catch (GeneralSecurityException e) {
      throw new AttachmentException("the attachment does not decrypt (bad padding): " + e.getMessage(), e);
    }
    hand(last);
    if (written < plainSize) {
      throw new AttachmentException("the attachment decrypts to fewer bytes than the " + plainSize + " stated");
    }
  }

  private void hand(int produced) throws IOException {
    int n = (int) Math.min(produced, plainSize - written);
    if (n > 0) {
      try {
        sink.write(out, 0, n);
      } catch (IOException | RuntimeException e) {
        // The digest, MAC and cipher have taken in bytes whose plaintext was not stored: this verifier
        // cannot go on; one resumed from what the sink holds can.
        broken = true;
        throw e;
      }
      written += n;
    }
  }

  private Cipher cipher(byte[] iv) {
    try {
      Cipher c = Cipher.getInstance("AES/CBC/PKCS5Padding");
      c.init(Cipher.DECRYPT_MODE, keys.aes(), new IvParameterSpec(iv));
      return c;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK lacks AES-CBC", e);
    }
  }
}
