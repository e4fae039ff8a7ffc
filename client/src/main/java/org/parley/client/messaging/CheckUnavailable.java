package org.parley.client.messaging;

/**
 * The sender of an envelope could not be checked for now (the server or the network failed while
 * its device list was refreshed). The envelope must not be acked: it stays queued and comes again.
 */
public final class CheckUnavailable extends RuntimeException {
  CheckUnavailable(String message, Throwable cause) {
    super(message, cause);
  }
}
