package org.parley.client.messaging;

import java.util.Arrays;

/**
 * Pads plaintext to a multiple of 160 bytes before encryption (a 0x80 marker, then zeros), so the
 * length of a ciphertext says little about the length of the message.
 */
public final class Padding {
  private static final int BLOCK = 160;

  private Padding() {}

  public static byte[] pad(byte[] message) {
    int length = ((message.length + 1 + BLOCK - 1) / BLOCK) * BLOCK;
    byte[] padded = Arrays.copyOf(message, length);
    padded[message.length] = (byte) 0x80;
    return padded;
  }

  public static byte[] unpad(byte[] padded) {
    for (int i = padded.length - 1; i >= 0; i--) {
      if (padded[i] == (byte) 0x80) {
        return Arrays.copyOf(padded, i);
      }
      if (padded[i] != 0) {
        break;
      }
    }
    throw new IllegalArgumentException("message padding is invalid");
  }
}
