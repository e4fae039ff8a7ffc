package org.parley.protocol.attachments;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;

/**
 * Turns a blob that {@link AttachmentVerifier} has passed back into the sender's file: decrypts the
 * ciphertext between IV and MAC in a fixed buffer and writes the first {@code plainSize} bytes (the
 * rest is the padding).
 */
public final class AttachmentDecryptor {
  private static final int CHUNK = 64 * 1024;

  private AttachmentDecryptor() {}

  public static void decrypt(InputStream blob, OutputStream plaintext, AttachmentKeys keys, long plainSize)
      throws IOException {
    long blobLength = AttachmentSizes.encryptedSize(plainSize);
    byte[] iv = blob.readNBytes(AttachmentSizes.IV_BYTES);
    if (iv.length != AttachmentSizes.IV_BYTES) {
      throw new AttachmentException("the blob is too short to hold an IV");
    }
    Cipher cipher;
    try {
      cipher = Cipher.getInstance("AES/CBC/PKCS5Padding");
      cipher.init(Cipher.DECRYPT_MODE, keys.aes(), new IvParameterSpec(iv));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK lacks AES-CBC", e);
    }
    long remaining = blobLength - AttachmentSizes.IV_BYTES - AttachmentSizes.MAC_BYTES;
    long toWrite = plainSize;
    byte[] in = new byte[CHUNK];
    byte[] out = new byte[CHUNK + AttachmentSizes.BLOCK_BYTES];
    while (remaining > 0) {
      int n = blob.readNBytes(in, 0, (int) Math.min(CHUNK, remaining));
      if (n == 0) {
        throw new AttachmentException("the blob ended before its ciphertext did");
      }
      remaining -= n;
      int produced;
      try {
        produced = cipher.update(in, 0, n, out, 0);
      } catch (GeneralSecurityException e) {
        throw new AttachmentException("the attachment does not decrypt: " + e.getMessage(), e);
      }
      toWrite -= write(plaintext, out, produced, toWrite);
    }
    int last;
    try {
      last = cipher.doFinal(out, 0);
    } catch (GeneralSecurityException e) {
      throw new AttachmentException("the attachment does not decrypt (bad padding): " + e.getMessage(), e);
    }
    toWrite -= write(plaintext, out, last, toWrite);
    if (toWrite > 0) {
      throw new AttachmentException("the attachment decrypts to fewer bytes than the " + plainSize + " stated");
    }
  }

  private static long write(OutputStream plaintext, byte[] out, int produced, long wanted) throws IOException {
    int n = (int) Math.min(produced, wanted);
    if (n > 0) {
      plaintext.write(out, 0, n);
    }
    return n;
  }
}
