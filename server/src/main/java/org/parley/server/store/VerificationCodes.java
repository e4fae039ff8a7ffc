package org.parley.server.store;

import java.util.Optional;

/** Verification codes sent by SMS and waiting to be entered. */
public interface VerificationCodes {
  record PendingCode(String phone, byte[] codeHash, long expiresAt, int failedAttempts) {}

  void put(PendingCode code);

  Optional<PendingCode> get(String phone);

  void delete(String phone);
}
