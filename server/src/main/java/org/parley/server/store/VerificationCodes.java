package org.parley.server.store;

import java.util.Optional;

/** Verification codes sent by SMS and waiting to be entered. */
public interface VerificationCodes {
  record PendingCode(String phone, byte[] codeHash, long expiresAt, int failedAttempts) {}

  void put(PendingCode code);

  Optional<PendingCode> get(String phone);

  void delete(String phone);

  /**
   * Counts one more attempt at the phone's code and returns the code with the new count, in one
   * atomic step, so guesses racing on parallel connections are all counted.
   */
  Optional<PendingCode> attempt(String phone);
}
