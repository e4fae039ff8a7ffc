package org.parley.server.devices;

import org.parley.server.store.DeviceRecord;

/**
 * When the server will unlink a device unless it (or its primary) is seen again, once that is near
 * enough to warn about; 0 for no warning.
 */
@FunctionalInterface
public interface UnlinkWarnings {
  long unlinkAt(DeviceRecord device, DeviceRecord primary);
}
