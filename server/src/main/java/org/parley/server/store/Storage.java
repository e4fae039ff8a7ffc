package org.parley.server.store;

/**
 * Everything the relay keeps. One interface, one contract-test suite, several implementations
 * (embedded SQLite by default). Each part is a narrow interface of its own.
 */
public interface Storage extends AutoCloseable {
  Accounts accounts();

  VerificationCodes verificationCodes();

  Keys keys();

  Queues queues();

  Groups groups();

  RegistrationLocks registrationLocks();

  /**
   * Proves the store can take a commit now (readiness): returns once a tiny write is durable, throws
   * {@link StorageException} when it cannot be made. May block; callers bound the wait.
   */
  void probe();

  @Override
  void close();
}
