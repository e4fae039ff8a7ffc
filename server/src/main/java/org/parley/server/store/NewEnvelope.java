package org.parley.server.store;

/**
 * An envelope to append to a device's queue.
 *
 * @param claim settles whether it is written at all, if it was pushed before its commit
 */
public record NewEnvelope(DeviceAddress destination, byte[] guid, long serverTimestamp, byte[] envelope, WriteClaim claim) {
  public NewEnvelope(DeviceAddress destination, byte[] guid, long serverTimestamp, byte[] envelope) {
    this(destination, guid, serverTimestamp, envelope, new WriteClaim());
  }
}
