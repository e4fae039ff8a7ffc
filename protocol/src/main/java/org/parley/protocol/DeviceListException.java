package org.parley.protocol;

/** A device list or linking proof that must not be trusted; the message says which check failed. */
public class DeviceListException extends Exception {
  public DeviceListException(String message) {
    super(message);
  }
}
