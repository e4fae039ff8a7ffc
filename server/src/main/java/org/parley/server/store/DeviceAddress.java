package org.parley.server.store;

import java.util.UUID;

/** One device of one account: the unit of credentials, keys and queues. */
public record DeviceAddress(UUID account, int device) {
  @Override
  public String toString() {
    return account + "." + device;
  }
}
