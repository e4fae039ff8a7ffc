package org.parley.server.store;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.parley.protocol.wire.UnlinkReason;

/**
 * Records to feed a {@link Storage}. The store never parses keys or envelopes, so random bytes of
 * plausible sizes stand in for them; only ids, versions and times carry meaning here.
 */
public final class StoreFixtures {
  public static final int PHONE_KIND = 1;
  public static final int DESKTOP_KIND = 2;

  private StoreFixtures() {}

  public static byte[] bytes(int length) {
    byte[] bytes = new byte[length];
    ThreadLocalRandom.current().nextBytes(bytes);
    return bytes;
  }

  /** A device credential as the store holds it: a hash, here simply 32 random bytes. */
  public static byte[] credentialHash() {
    return bytes(32);
  }

  public static DeviceRecord primary(UUID account, byte[] credentialHash, long now) {
    return new DeviceRecord(
        account, 1, 4242, bytes(33), credentialHash, "phone", PHONE_KIND, now, now, null);
  }

  public static DeviceRecord companion(UUID account, int deviceId, byte[] credentialHash, long now) {
    return new DeviceRecord(
        account, deviceId, 1000 + deviceId, bytes(33), credentialHash, "desktop " + deviceId,
        DESKTOP_KIND, now, now, bytes(64));
  }

  /**
   * A full upload: signed pre-key {@code firstId}, last-resort Kyber key {@code firstId}, then
   * one-time keys numbered upwards from {@code firstId + 1}.
   */
  public static PreKeys.Upload keys(int firstId, int oneTime, int oneTimeKyber) {
    return new PreKeys.Upload(
        new PreKeys.Key(firstId, bytes(33), bytes(64)),
        new PreKeys.Key(firstId, bytes(1569), bytes(64)),
        oneTimeKeys(firstId + 1, oneTime, 33, false),
        oneTimeKeys(firstId + 1, oneTimeKyber, 1569, true));
  }

  /** Only one-time keys, as a refill uploads them. */
  public static PreKeys.Upload oneTimeOnly(int firstId, int oneTime, int oneTimeKyber) {
    return new PreKeys.Upload(
        null,
        null,
        oneTimeKeys(firstId, oneTime, 33, false),
        oneTimeKeys(firstId, oneTimeKyber, 1569, true));
  }

  private static List<PreKeys.Key> oneTimeKeys(int firstId, int count, int size, boolean signed) {
    List<PreKeys.Key> keys = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      keys.add(new PreKeys.Key(firstId + i, bytes(size), signed ? bytes(64) : null));
    }
    return keys;
  }

  public static NewEnvelope envelope(DeviceAddress destination, long serverTimestamp) {
    return new NewEnvelope(destination, bytes(16), serverTimestamp, bytes(120));
  }

  /** Registers {@code phone} with a fresh primary and returns the account id. */
  public static UUID register(Storage storage, String phone) {
    return storage
        .accounts()
        .registerPrimary(phone, primary(UUID.randomUUID(), credentialHash(), 1_000), keys(1, 5, 5), UnlinkReason.REREGISTERED_VALUE)
        .account()
        .id();
  }

  /** Links a companion under the next free id with the next list version; returns its record. */
  public static DeviceRecord link(Storage storage, UUID account) {
    Accounts accounts = storage.accounts();
    int deviceId = accounts.reserveDeviceId(account);
    DeviceRecord companion = companion(account, deviceId, credentialHash(), 2_000);
    long version = accounts.byId(account).orElseThrow().deviceListVersion() + 1;
    Accounts.LinkResult result = accounts.addCompanion(companion, keys(100, 3, 3), version, bytes(80), 4);
    if (result != Accounts.LinkResult.LINKED) {
      throw new AssertionError("fixture could not link a companion: " + result);
    }
    return companion;
  }
}
