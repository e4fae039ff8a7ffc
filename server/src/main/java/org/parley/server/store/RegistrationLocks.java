package org.parley.server.store;

import java.util.Optional;
import java.util.UUID;

/** Registration locks: per account, a slow hash of the PIN that re-registering its number needs. */
public interface RegistrationLocks {
  /** A PIN hashed with PBKDF2-HMAC-SHA256 ({@code iterations} rounds, {@code salt}). */
  record Lock(byte[] pinHash, byte[] salt, int iterations, long setAt) {}

  Optional<Lock> get(UUID account);

  void put(UUID account, Lock lock);

  void clear(UUID account);
}
