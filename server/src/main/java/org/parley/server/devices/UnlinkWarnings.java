package org.parley.server.devices;

import org.parley.server.store.DeviceRecord;

/** When the server will unlink a device unless it (or its primary) is seen again; 0 for never. */
@FunctionalInterface
public interface UnlinkWarnings {
  long unlinkAt(DeviceRecord device);

  UnlinkWarnings NONE = device -> 0;
}
