package org.parley.server.store;

/**
 * The store cannot be reached right now (its server restarting, the network between): nothing is
 * wrong with the request, and the same request a little later can succeed.
 */
public class StorageUnavailableException extends StorageException {
  public StorageUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
