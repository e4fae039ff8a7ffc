package org.parley.server.devices;

import org.parley.protocol.DeviceListException;
import org.parley.protocol.DeviceListSignatures;
import org.parley.protocol.DeviceListSignatures.VerifiedDeviceList;
import org.parley.protocol.wire.DeviceListEntry;
import org.parley.protocol.wire.SignedDeviceList;
import org.parley.protocol.wire.Status;
import org.parley.server.keys.KeyValidator;
import org.parley.server.store.Account;
import org.parley.server.store.DeviceRecord;
import org.parley.server.transport.ApiException;
import org.parley.server.transport.RequestBounds;

/**
 * The server's half of DESIGN.md §3: a device list is stored only if the account's primary signed
 * it, every linking proof in it holds, and its version is higher than the stored one.
 */
final class DeviceListCheck {
  private DeviceListCheck() {}

  static VerifiedDeviceList verify(Account account, DeviceRecord primary, SignedDeviceList signed)
      throws ApiException {
    VerifiedDeviceList list;
    try {
      list =
          DeviceListSignatures.verify(
              signed, account.id(), KeyValidator.identityKey(primary.identityKey()));
    } catch (DeviceListException e) {
      throw new ApiException(Status.BAD_SIGNATURE, "device list refused: " + e.getMessage());
    }
    if (list.version() <= account.deviceListVersion()) {
      throw new ApiException(
          Status.STALE_VERSION,
          "device list version " + list.version() + " is not newer than the stored version "
              + account.deviceListVersion());
    }
    return list;
  }

  /**
   * A list names at most the primary and the allowed companions, each with a short name, so that
   * what the server stores and hands to every contact stays small.
   */
  static void checkBounds(VerifiedDeviceList list, int maxCompanions) throws ApiException {
    int entries = list.list().getEntriesCount();
    if (entries > 1 + maxCompanions) {
      throw new ApiException(
          Status.LIMIT_REACHED,
          "a device list may name at most " + (1 + maxCompanions) + " devices (the primary and "
              + maxCompanions + " companions); this one names " + entries);
    }
    for (DeviceListEntry entry : list.list().getEntriesList()) {
      String name = entry.getName();
      if (name.codePointCount(0, name.length()) > RequestBounds.MAX_NAME) {
        throw new ApiException(
            Status.BAD_REQUEST,
            "the name of device " + entry.getDeviceId() + " in the device list is longer than "
                + RequestBounds.MAX_NAME + " characters");
      }
    }
  }
}
