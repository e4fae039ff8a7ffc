package org.parley.protocol.history;

import java.io.IOException;

/**
 * A history bundle that must not be used: it failed authentication, is cut short, is out of order,
 * or is not a bundle at all. An {@link IOException} so that it travels through stream reads.
 */
public final class BundleException extends IOException {
  public BundleException(String message) {
    super(message);
  }

  public BundleException(String message, Throwable cause) {
    super(message, cause);
  }
}
