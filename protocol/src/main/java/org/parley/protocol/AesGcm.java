package org.parley.protocol;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM from the JDK, for the two places DESIGN.md asks for a plain cipher (provisioning and
 * history bundles). Output layout: 12-byte random nonce, then ciphertext and 16-byte tag.
 */
public final class AesGcm {
  public static final int KEY_BYTES = 32;
  public static final int NONCE_BYTES = 12;
  public static final int TAG_BYTES = 16;
  public static final int OVERHEAD = NONCE_BYTES + TAG_BYTES;

  private static final SecureRandom RANDOM = new SecureRandom();

  private AesGcm() {}

  public static byte[] seal(byte[] key, byte[] associatedData, byte[] plaintext) {
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    try {
      Cipher cipher = cipher(Cipher.ENCRYPT_MODE, key, nonce, associatedData);
      byte[] out = new byte[NONCE_BYTES + cipher.getOutputSize(plaintext.length)];
      System.arraycopy(nonce, 0, out, 0, NONCE_BYTES);
      cipher.doFinal(plaintext, 0, plaintext.length, out, NONCE_BYTES);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
  }

  /** Opens what {@link #seal} produced; any tampering, truncation or wrong key fails. */
  public static byte[] open(byte[] key, byte[] associatedData, byte[] sealed)
      throws GeneralSecurityException {
    return open(key, associatedData, sealed, 0, sealed.length);
  }

  public static byte[] open(byte[] key, byte[] associatedData, byte[] sealed, int offset, int length)
      throws GeneralSecurityException {
    if (length < OVERHEAD) {
      throw new javax.crypto.AEADBadTagException("ciphertext too short");
    }
    byte[] nonce = java.util.Arrays.copyOfRange(sealed, offset, offset + NONCE_BYTES);
    Cipher cipher = cipher(Cipher.DECRYPT_MODE, key, nonce, associatedData);
    return cipher.doFinal(sealed, offset + NONCE_BYTES, length - NONCE_BYTES);
  }

  private static Cipher cipher(int mode, byte[] key, byte[] nonce, byte[] associatedData)
      throws GeneralSecurityException {
    if (key.length != KEY_BYTES) {
      throw new java.security.InvalidKeyException("AES-256 needs a 32-byte key");
    }
    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
    cipher.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BYTES * 8, nonce));
    if (associatedData != null && associatedData.length > 0) {
      cipher.updateAAD(associatedData);
    }
    return cipher;
  }
}
