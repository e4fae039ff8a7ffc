package org.parley.server.store;

/** One empty database of one {@link Storage} implementation, for one contract test. */
public interface StorageBackend extends AutoCloseable {
  /** Opens the database; opening it again after a close sees everything committed before. */
  Storage open();

  /** Closes every storage opened here and drops the database. */
  @Override
  void close();
}
