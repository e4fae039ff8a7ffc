package org.parley.server.store;

/** The store could not do what was asked (disk, corruption, closed); the request fails whole. */
public class StorageException extends RuntimeException {
  public StorageException(String message, Throwable cause) {
    super(message, cause);
  }
}
