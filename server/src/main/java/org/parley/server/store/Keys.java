package org.parley.server.store;

import java.util.ArrayList;
import java.util.List;
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

  /**
   * {@link #take} for many devices, in their order; a store that can does it in one commit (the
   * embedded one does: one fsync instead of one per device).
   */
  default List<Optional<PreKeys.Bundle>> takeAll(List<DeviceAddress> devices) {
    List<Optional<PreKeys.Bundle>> out = new ArrayList<>(devices.size());
    for (DeviceAddress device : devices) {
      out.add(take(device));
    }
    return out;
  }

  PreKeys.Counts counts(DeviceAddress device);
}
