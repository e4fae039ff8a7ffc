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

  @Override
  void close();
}
