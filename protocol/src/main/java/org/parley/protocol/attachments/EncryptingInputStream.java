package org.parley.protocol.attachments;

import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;

/**
 * Reads a file as the blob it becomes (Signal's layout, {@link AttachmentSizes}): the IV, the
 * AES-256-CBC ciphertext of the file padded with zeros to its bucket, and the HMAC-SHA256 of IV and
 * ciphertext. Works in a fixed buffer whatever the size; the SHA-256 of everything read is the
 * attachment's digest once the stream is at its end. The same key, IV and file give the same bytes,
 * so an upload that broke off can be continued by reading (and discarding) up to its offset again.
 */
public final class EncryptingInputStream extends InputStream {
  private static final int CHUNK = 64 * 1024;

  private enum Stage { IV, BODY, MAC, DONE }

  private final InputStream plaintext;
  private final long size;
  private final long padded;
  private final byte[] iv;
  private final Cipher cipher;
  private final Mac mac;
  private final MessageDigest digest;
  private final byte[] in = new byte[CHUNK];
  private final byte[] out = new byte[CHUNK + AttachmentSizes.BLOCK_BYTES];
  private Stage stage = Stage.IV;
  private long consumed;
  private byte[] pending = new byte[0];
  private int pendingFrom;
  private int pendingTo;
  private byte[] finalDigest;

  /** @param size the plaintext's length; the stream fails if the file turns out shorter or longer */
  public EncryptingInputStream(InputStream plaintext, long size, AttachmentKeys keys, byte[] iv) {
    if (iv.length != AttachmentSizes.IV_BYTES) {
      throw new IllegalArgumentException("an IV has " + AttachmentSizes.IV_BYTES + " bytes");
    }
    this.plaintext = plaintext;
    this.size = size;
    this.padded = AttachmentSizes.paddedSize(size);
    this.iv = iv.clone();
    try {
      this.cipher = Cipher.getInstance("AES/CBC/PKCS5Padding");
      cipher.init(Cipher.ENCRYPT_MODE, keys.aes(), new IvParameterSpec(iv));
      this.mac = Mac.getInstance("HmacSHA256");
      mac.init(keys.mac());
      this.digest = MessageDigest.getInstance("SHA-256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK lacks AES-CBC, HMAC-SHA256 or SHA-256", e);
    }
  }

  /** The blob's length: what this stream yields in all. */
  public long length() {
    return AttachmentSizes.encryptedSize(size);
  }

  /** The SHA-256 of the whole blob; available once the stream has been read to its end. */
  public byte[] digest() {
    if (finalDigest == null) {
      throw new IllegalStateException("the blob has not been read to its end");
    }
    return finalDigest.clone();
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) throws IOException {
    if (length == 0) {
      return 0;
    }
    while (pendingFrom == pendingTo) {
      if (!fill()) {
        return -1;
      }
    }
    int n = Math.min(length, pendingTo - pendingFrom);
    System.arraycopy(pending, pendingFrom, buffer, offset, n);
    pendingFrom += n;
    return n;
  }

  /** Produces the next piece of the blob; false at its end. */
  private boolean fill() throws IOException {
    switch (stage) {
      case IV -> {
        emit(iv, iv.length);
        stage = Stage.BODY;
      }
      case BODY -> {
        if (consumed < padded) {
          int n = (int) Math.min(CHUNK, padded - consumed);
          int fromFile = (int) Math.max(0, Math.min(n, size - consumed));
          if (plaintext.readNBytes(in, 0, fromFile) != fromFile) {
            throw new IOException("the file is shorter than the " + size + " bytes it had when the send began");
          }
          Arrays.fill(in, fromFile, n, (byte) 0);
          consumed += n;
          emit(out, update(n));
        } else {
          if (plaintext.read() != -1) {
            throw new IOException("the file grew past the " + size + " bytes it had when the send began");
          }
          emit(out, doFinal());
          stage = Stage.MAC;
        }
      }
      case MAC -> {
        byte[] tag = mac.doFinal();
        stage = Stage.DONE;
        emit(tag, tag.length);
        finalDigest = digest.digest();
      }
      case DONE -> {
        return false;
      }
    }
    return true;
  }

  private int update(int n) throws IOException {
    try {
      return cipher.update(in, 0, n, out, 0);
    } catch (GeneralSecurityException e) {
      throw new IOException("encryption failed: " + e.getMessage(), e);
    }
  }

  private int doFinal() throws IOException {
    try {
      return cipher.doFinal(out, 0);
    } catch (GeneralSecurityException e) {
      throw new IOException("encryption failed: " + e.getMessage(), e);
    }
  }

  /** Hands out bytes, after adding them to the MAC (all but the MAC itself) and to the digest. */
  private void emit(byte[] bytes, int length) {
    if (stage != Stage.MAC) {
      mac.update(bytes, 0, length);
    }
    digest.update(bytes, 0, length);
    pending = bytes;
    pendingFrom = 0;
    pendingTo = length;
  }

  @Override
  public void close() throws IOException {
    plaintext.close();
  }
}
