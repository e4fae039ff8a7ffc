package org.parley.server.store;

import java.util.UUID;

/**
 * A linked device as the server knows it. The credential is only ever held as a hash.
 *
 * @param deviceSignature the companion's half of its linking proof (empty for the primary)
 */
public record DeviceRecord(
    UUID account,
    int deviceId,
    int registrationId,
    byte[] identityKey,
    byte[] credentialHash,
    String name,
    int kind,
    long createdAt,
    long lastSeen,
    byte[] deviceSignature) {

  public DeviceAddress address() {
    return new DeviceAddress(account, deviceId);
  }

  public boolean isPrimary() {
    return deviceId == 1;
  }
}
