package org.parley.protocol;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Locale;
import javax.crypto.Cipher;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The 8-character link code (docs/PROTOCOL.md §6.1): {@code XXXX-XXXX} in Crockford's base 32 (no I, L, O,
 * U; typed O/I/L are read as 0/1/1), 40 bits. The first half is the slot the server files the
 * companion under; the whole code is the password that wraps the companion's two public keys.
 *
 * <p>The wrap is AES-256-CTR under PBKDF2-HMAC-SHA256 of the code, with no tag, on purpose (the
 * "encrypted key exchange" shape): the plaintext is two raw X25519 public keys, so a wrong code
 * gives no tag to fail. A raw X25519 key always has its top bit (bit 255) clear, which would tell a
 * wrong code apart for half the guesses: that bit is set at random before wrapping and cleared
 * after unwrapping. What remains is that about half of all 255-bit values are on the curve's twist
 * rather than the curve, so whoever holds the blob (the server, its operator) can rule out about
 * 3/4 of the wrong guesses offline by checking both keys: of the 2^20 codes behind a slot (the
 * server knows the slot) about 2^18 remain, each of which can only be tested live (the server
 * answers 3 claims per code). Closing that too would need an encoding of keys as uniform strings
 * (Elligator 2), which libsignal does not offer. A live guess: the primary encrypts the
 * provisioning message to the key it unwrapped, and only the companion holding the matching
 * private key can open it; a wrong code or a substituted blob yields keys nobody holds, and the
 * link fails.
 */
public final class LinkCodeCipher {
  public static final String ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  public static final int KEY_BYTES = 32;
  public static final int WRAPPED_BYTES = 2 * KEY_BYTES;
  static final int ITERATIONS = 200_000;
  /** The last byte of a little-endian X25519 key, and its bit 255 (always clear in a real key). */
  private static final int TOP = KEY_BYTES - 1;
  private static final int TOP_BIT = 0x80;
  private static final byte[] SALT = "parley-link-code-v1".getBytes(StandardCharsets.US_ASCII);

  private LinkCodeCipher() {}

  /** A fresh random code, {@code XXXX-XXXX}. */
  public static String generate(SecureRandom random) {
    StringBuilder code = new StringBuilder(9);
    for (int i = 0; i < 8; i++) {
      if (i == 4) {
        code.append('-');
      }
      code.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
    }
    return code.toString();
  }

  /** The code as typed, checked and normalised to {@code XXXX-XXXX}. */
  public static String normalize(String typed) {
    if (typed == null) {
      throw new IllegalArgumentException("a link code is 8 characters, like 7KQ2-M9XD");
    }
    StringBuilder chars = new StringBuilder(8);
    for (char c : typed.toUpperCase(Locale.ROOT).toCharArray()) {
      if (c == '-' || c == ' ') {
        continue;
      }
      char read = switch (c) {
        case 'O' -> '0';
        case 'I', 'L' -> '1';
        default -> c;
      };
      if (ALPHABET.indexOf(read) < 0) {
        throw new IllegalArgumentException(
            "'" + c + "' is not in a link code; codes use the digits and the letters A-Z except I, L, O, U");
      }
      chars.append(read);
    }
    if (chars.length() != 8) {
      throw new IllegalArgumentException(
          "a link code is 8 characters, like 7KQ2-M9XD; this one has " + chars.length());
    }
    return chars.substring(0, 4) + "-" + chars.substring(4);
  }

  /** The part of a (normalised) code the server is told: its first half. */
  public static String slot(String code) {
    return code.substring(0, 4);
  }

  /** Wraps the companion's ephemeral provisioning key and identity key (32 raw bytes each). */
  public static byte[] wrap(String code, byte[] provisioningKey, byte[] identityKey) {
    return wrap(code, provisioningKey, identityKey, new SecureRandom());
  }

  /** As {@link #wrap(String, byte[], byte[])}, with the random top bits drawn from {@code random}. */
  static byte[] wrap(String code, byte[] provisioningKey, byte[] identityKey, SecureRandom random) {
    if (provisioningKey.length != KEY_BYTES || identityKey.length != KEY_BYTES) {
      throw new IllegalArgumentException("both keys must be 32 raw bytes");
    }
    if ((provisioningKey[TOP] & TOP_BIT) != 0 || (identityKey[TOP] & TOP_BIT) != 0) {
      throw new IllegalArgumentException("a raw X25519 public key has its top bit clear");
    }
    byte[] plain = new byte[WRAPPED_BYTES];
    System.arraycopy(provisioningKey, 0, plain, 0, KEY_BYTES);
    System.arraycopy(identityKey, 0, plain, KEY_BYTES, KEY_BYTES);
    // The top bit of a real key is always clear: a random one makes a wrong code's unwrapped bit look the same.
    byte[] noise = new byte[2];
    random.nextBytes(noise);
    plain[TOP] |= (byte) (noise[0] & TOP_BIT);
    plain[KEY_BYTES + TOP] |= (byte) (noise[1] & TOP_BIT);
    return ctr(code, plain);
  }

  /** The two 32-byte keys under {@code code}: the right ones only for the right code. */
  public static byte[][] unwrap(String code, byte[] wrapped) {
    if (wrapped.length != WRAPPED_BYTES) {
      throw new IllegalArgumentException("a wrapped link code blob is " + WRAPPED_BYTES + " bytes");
    }
    byte[] plain = ctr(code, wrapped);
    plain[TOP] &= (byte) ~TOP_BIT;
    plain[KEY_BYTES + TOP] &= (byte) ~TOP_BIT;
    return new byte[][] {Arrays.copyOfRange(plain, 0, KEY_BYTES), Arrays.copyOfRange(plain, KEY_BYTES, WRAPPED_BYTES)};
  }

  private static byte[] ctr(String code, byte[] input) {
    char[] password = normalize(code).toCharArray();
    try {
      byte[] key =
          SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
              .generateSecret(new PBEKeySpec(password, SALT, ITERATIONS, KEY_BYTES * 8))
              .getEncoded();
      Cipher cipher = Cipher.getInstance("AES/CTR/NoPadding");
      // A zero counter is safe: each key wraps exactly one blob (a code is random and used once).
      cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(new byte[16]));
      return cipher.doFinal(input);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("PBKDF2 or AES-CTR unavailable", e);
    } finally {
      Arrays.fill(password, '\0');
    }
  }
}
