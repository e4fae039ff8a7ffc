package org.parley.server.auth;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Device credentials are 256 random bits chosen by the device, so a plain SHA-256 is enough to keep
 * a stolen database from yielding usable credentials (no password stretching needed).
 */
public final class Credentials {
  public static final int SECRET_BYTES = 32;

  private Credentials() {}

  public static byte[] hash(byte[] secret) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(secret);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public static boolean matches(byte[] secret, byte[] storedHash) {
    return storedHash != null && MessageDigest.isEqual(hash(secret), storedHash);
  }
}
