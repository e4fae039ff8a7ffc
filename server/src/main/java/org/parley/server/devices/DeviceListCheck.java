package org.parley.server.devices;

import org.parley.protocol.DeviceListException;
import org.parley.protocol.DeviceListSignatures;
import org.parley.protocol.DeviceListSignatures.VerifiedDeviceList;
import org.parley.protocol.wire.SignedDeviceList;
import org.parley.protocol.wire.Status;
import org.parley.server.keys.KeyValidator;
import org.parley.server.store.Account;
import org.parley.server.store.DeviceRecord;
import org.parley.server.transport.ApiException;

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

}
