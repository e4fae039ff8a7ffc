package org.parley.server.store;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** Accounts, their devices, their signed device lists, and tombstones of unlinked devices. */
public interface Accounts {
  Optional<Account> byId(UUID id);

  Optional<Account> byPhone(String phone);

  /**
   * Registers the phone number's primary device. A number registered before keeps its account id
   * but loses every old device: credentials revoked (tombstoned with {@code reason}), keys and
   * queues purged.
   */
  Registration registerPrimary(String phone, DeviceRecord primary, PreKeys.Upload keys, int reason);

  record Registration(Account account, List<DeviceAddress> removed) {}

  List<DeviceRecord> devices(UUID account);

  /**
   * The account's devices for the coverage check of a send, which needs only their ids and
   * registration ids; an implementation may answer from a cache (the embedded store does: it is the
   * only writer of its file). A cached answer reflects every device change whose call here has
   * returned ({@link #registerPrimary}, {@link #addCompanion}, {@link #removeDevices}, {@link
   * #deleteAccount}); other fields (last seen) may be old.
   */
  default List<DeviceRecord> routingDevices(UUID account) {
    return devices(account);
  }

  /**
   * Whether {@link #routingDevices} of the account answers from memory now, without a read. A send
   * that needs nothing else from the store then runs on its connection's event loop.
   */
  default boolean routingCached(UUID account) {
    return false;
  }

  Optional<DeviceRecord> device(DeviceAddress address);

  /** The tombstone left when the device holding this credential was unlinked, if any. */
  Optional<Tombstone> tombstone(DeviceAddress address, byte[] credentialHash);

  /** Stores a signed device list if its version is higher than the stored one. */
  boolean putDeviceList(UUID account, long version, byte[] signedList);

  /** Reserves a never-used companion device id (ids are not reused within an account). */
  int reserveDeviceId(UUID account);

  /**
   * Adds a companion together with the list that vouches for it, in one commit.
   *
   * @return {@link LinkResult#LINKED}, or why nothing was stored
   */
  LinkResult addCompanion(
      DeviceRecord device, PreKeys.Upload keys, long listVersion, byte[] signedList, int maxCompanions);

  enum LinkResult {
    LINKED,
    LIMIT_REACHED,
    STALE_VERSION,
    DEVICE_ID_TAKEN
  }

  /**
   * Unlinks devices: credentials revoked and tombstoned, keys and queues purged. When {@code
   * signedList} is given it replaces the stored list in the same commit (if its version is higher).
   *
   * @return the devices actually removed
   */
  List<DeviceAddress> removeDevices(
      UUID account, Collection<Integer> deviceIds, int reason, long now, long listVersion, byte[] signedList);

  /** Primaries not seen since the given time whose accounts still have companions. */
  List<DeviceRecord> idlePrimaries(long seenBefore);

  /** Companions not seen since the given time. */
  List<DeviceRecord> idleCompanions(long seenBefore);

  /** Records when devices were last active; never moves a time backwards. */
  void recordActivity(Map<DeviceAddress, Long> lastSeen);

  /** What the store holds, for the operator ({@code parley admin stats}). */
  Counts counts();

  record Counts(long accounts, long devices, long tombstones) {}

  /**
   * Deletes an account at its operator's request, in one commit: every device unlinked (revoked and
   * tombstoned with {@code reason}, so it is told why), keys and queues purged, and the account and
   * its phone number forgotten (registering the number again makes a new account).
   *
   * @return the devices removed, or empty when there is no such account
   */
  Optional<List<DeviceAddress>> deleteAccount(UUID account, int reason, long now);

  /**
   * Forgets tombstones left before the given time; a device unlinked before then is afterwards
   * refused as unknown instead of being told why. Returns how many were forgotten.
   */
  int purgeTombstones(long before);
}
