package org.parley.client.messaging;

import java.nio.ByteBuffer;
import java.util.UUID;
import org.parley.client.ClientException;
import org.signal.libsignal.protocol.IdentityKey;
import org.signal.libsignal.protocol.InvalidKeyException;
import org.signal.libsignal.protocol.fingerprint.NumericFingerprintGenerator;

/**
 * The safety number of two accounts (DESIGN.md §2): libsignal's fingerprint over both primaries'
 * identity keys, so it stays the same while companions come and go and changes when a number is
 * registered again.
 */
public final class SafetyNumbers {
  private static final int ITERATIONS = 5200;

  private SafetyNumbers() {}

  public static String of(UUID mine, byte[] myIdentity, UUID theirs, byte[] theirIdentity) {
    try {
      return new NumericFingerprintGenerator(ITERATIONS)
          .createFor(2, bytes(mine), new IdentityKey(myIdentity), bytes(theirs), new IdentityKey(theirIdentity))
          .getDisplayableFingerprint()
          .getDisplayText();
    } catch (InvalidKeyException e) {
      throw new ClientException("a stored identity key is damaged", e);
    }
  }

  /** Whether what the user typed (digits, spaces allowed) is this safety number. */
  public static boolean matches(String typed, String safetyNumber) {
    return typed != null && typed.replaceAll("[\\s-]", "").equals(safetyNumber);
  }

  private static byte[] bytes(UUID id) {
    return ByteBuffer.allocate(16).putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits()).array();
  }
}
