package org.parley.server.store;

import java.util.Optional;

/** Public pre-keys of every device. */
public interface Keys {
  /** Adds one-time keys and replaces the signed and last-resort keys that the upload carries. */
  void upload(DeviceAddress device, PreKeys.Upload keys);

  /**
   * Takes a bundle to start a session with the device, consuming one one-time EC key and one
   * one-time Kyber key when there are any.
   */
  Optional<PreKeys.Bundle> take(DeviceAddress device);

  PreKeys.Counts counts(DeviceAddress device);
}
