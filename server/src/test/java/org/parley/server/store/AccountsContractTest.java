package org.parley.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parley.server.store.StoreFixtures.bytes;
import static org.parley.server.store.StoreFixtures.companion;
import static org.parley.server.store.StoreFixtures.credentialHash;
import static org.parley.server.store.StoreFixtures.envelope;
import static org.parley.server.store.StoreFixtures.keys;
import static org.parley.server.store.StoreFixtures.link;
import static org.parley.server.store.StoreFixtures.primary;
import static org.parley.server.store.StoreFixtures.register;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.parley.protocol.wire.UnlinkReason;
import org.parley.server.store.Accounts.LinkResult;

class AccountsContractTest {
  private static final String PHONE = "+15550001001";
  private static final int REREGISTERED = UnlinkReason.REREGISTERED_VALUE;
  private static final int REMOVED_BY_PRIMARY = UnlinkReason.REMOVED_BY_PRIMARY_VALUE;

  /**
   * The coverage check of every send reads {@code routingDevices}, which an implementation may
   * cache: once a device change has returned, a send must neither miss a new device nor reach a
   * removed one, however often the list was read before.
   */
  @StorageTest
  void routingDevicesFollowEveryDeviceChangeAtOnce(Storage storage) {
    Accounts accounts = storage.accounts();
    UUID id = register(storage, PHONE);
    assertThat(ids(accounts.routingDevices(id))).containsExactly(1);
    assertThat(ids(accounts.routingDevices(id))).containsExactly(1);

    DeviceRecord laptop = link(storage, id);
    assertThat(ids(accounts.routingDevices(id))).containsExactly(1, laptop.deviceId());

    accounts.removeDevices(id, List.of(laptop.deviceId()), REMOVED_BY_PRIMARY, 3_000, 0, null);
    assertThat(ids(accounts.routingDevices(id))).containsExactly(1);

    DeviceRecord newPhone = primary(UUID.randomUUID(), credentialHash(), 4_000);
    newPhone = new DeviceRecord(newPhone.account(), 1, 5151, newPhone.identityKey(), newPhone.credentialHash(),
        newPhone.name(), newPhone.kind(), newPhone.createdAt(), newPhone.lastSeen(), null);
    accounts.registerPrimary(PHONE, newPhone, keys(1, 2, 2), REREGISTERED);
    assertThat(accounts.routingDevices(id)).singleElement().extracting(DeviceRecord::registrationId).isEqualTo(5151);

    accounts.deleteAccount(id, REMOVED_BY_PRIMARY, 5_000);
    assertThat(accounts.routingDevices(id)).isEmpty();
  }

  private static List<Integer> ids(List<DeviceRecord> devices) {
    return devices.stream().map(DeviceRecord::deviceId).toList();
  }

  @StorageTest
  void registeringANewNumberCreatesTheAccountWithItsPrimary(Storage storage) {
    UUID id = UUID.randomUUID();
    DeviceRecord primary = primary(id, credentialHash(), 1_000);

    Accounts.Registration registration =
        storage.accounts().registerPrimary(PHONE, primary, keys(1, 2, 3), REREGISTERED);

    assertThat(registration.removed()).isEmpty();
    Account expected = new Account(id, PHONE, 1_000, null, 0);
    assertThat(registration.account()).usingRecursiveComparison().isEqualTo(expected);
    assertThat(storage.accounts().byId(id)).get().usingRecursiveComparison().isEqualTo(expected);
    assertThat(storage.accounts().byPhone(PHONE)).get().usingRecursiveComparison().isEqualTo(expected);
    assertThat(storage.accounts().devices(id)).singleElement().usingRecursiveComparison().isEqualTo(primary);
    assertThat(storage.accounts().device(primary.address())).get().usingRecursiveComparison().isEqualTo(primary);
    assertThat(storage.accounts().tombstone(primary.address(), primary.credentialHash())).isEmpty();
    assertThat(storage.keys().counts(primary.address())).isEqualTo(new PreKeys.Counts(2, 3));
  }

  @StorageTest
  void unknownAccountsAndDevicesAreAbsent(Storage storage) {
    UUID nobody = UUID.randomUUID();
    DeviceAddress address = new DeviceAddress(nobody, 1);

    assertThat(storage.accounts().byId(nobody)).isEmpty();
    assertThat(storage.accounts().byPhone(PHONE)).isEmpty();
    assertThat(storage.accounts().devices(nobody)).isEmpty();
    assertThat(storage.accounts().device(address)).isEmpty();
    assertThat(storage.accounts().tombstone(address, new byte[32])).isEmpty();
  }

  @StorageTest
  void registeringANumberAgainKeepsTheAccountIdAndReplacesEveryOldDevice(Storage storage) {
    Accounts accounts = storage.accounts();
    byte[] oldPrimaryCredential = credentialHash();
    DeviceRecord lostPhone = primary(UUID.randomUUID(), oldPrimaryCredential, 1_000);
    UUID id = accounts.registerPrimary(PHONE, lostPhone, keys(1, 2, 2), REREGISTERED).account().id();
    DeviceRecord desktop = link(storage, id);
    DeviceRecord laptop = link(storage, id);
    long listVersion = accounts.byId(id).orElseThrow().deviceListVersion();
    DeviceAddress oldPrimary = new DeviceAddress(id, 1);
    storage.queues()
        .append(List.of(envelope(oldPrimary, 10), envelope(desktop.address(), 10), envelope(laptop.address(), 10)))
        .join();
    for (DeviceAddress device : List.of(oldPrimary, desktop.address(), laptop.address())) {
      assertThat(storage.queues().length(device)).isEqualTo(1);
    }

    DeviceRecord newPrimary = primary(UUID.randomUUID(), credentialHash(), 9_000);
    Accounts.Registration again = accounts.registerPrimary(PHONE, newPrimary, keys(50, 4, 4), REREGISTERED);

    assertThat(again.account().id()).isEqualTo(id);
    assertThat(again.account().createdAt()).isEqualTo(1_000);
    assertThat(again.account().deviceListVersion())
        .as("list versions never go back, even across re-registration")
        .isEqualTo(listVersion);
    assertThat(again.removed()).containsExactlyInAnyOrder(oldPrimary, desktop.address(), laptop.address());
    assertThat(accounts.devices(id)).singleElement().satisfies(device -> {
      assertThat(device.deviceId()).isEqualTo(1);
      assertThat(device.credentialHash()).isEqualTo(newPrimary.credentialHash());
      assertThat(device.identityKey()).isEqualTo(newPrimary.identityKey());
    });
    assertThat(accounts.tombstone(desktop.address(), desktop.credentialHash())).get().usingRecursiveComparison()
        .isEqualTo(new Tombstone(desktop.address(), desktop.credentialHash(), REREGISTERED, 9_000));
    assertThat(accounts.tombstone(laptop.address(), laptop.credentialHash())).get().usingRecursiveComparison()
        .isEqualTo(new Tombstone(laptop.address(), laptop.credentialHash(), REREGISTERED, 9_000));
    assertThat(accounts.tombstone(oldPrimary, oldPrimaryCredential))
        .as("the old primary's credential is revoked too, so that phone can be told why")
        .get().usingRecursiveComparison()
        .isEqualTo(new Tombstone(oldPrimary, oldPrimaryCredential, REREGISTERED, 9_000));
    for (DeviceAddress removed : List.of(desktop.address(), laptop.address())) {
      assertThat(storage.keys().counts(removed)).isEqualTo(new PreKeys.Counts(0, 0));
      assertThat(storage.keys().take(removed)).isEmpty();
    }
    assertThat(storage.keys().counts(oldPrimary)).as("only the new primary's keys").isEqualTo(new PreKeys.Counts(4, 4));
    for (DeviceAddress removed : again.removed()) {
      assertThat(storage.queues().read(removed, 0, 10)).isEmpty();
      assertThat(storage.queues().length(removed)).isZero();
    }
  }

  @StorageTest
  void aDeviceListIsStoredOnlyWhenItsVersionIsHigher(Storage storage) {
    Accounts accounts = storage.accounts();
    UUID id = register(storage, PHONE);
    byte[] second = bytes(90);

    assertThat(accounts.putDeviceList(id, 1, bytes(90))).isTrue();
    assertThat(accounts.putDeviceList(id, 5, second)).isTrue();
    assertThat(accounts.putDeviceList(id, 5, bytes(90))).as("same version").isFalse();
    assertThat(accounts.putDeviceList(id, 3, bytes(90))).as("lower version").isFalse();
    assertThat(accounts.putDeviceList(UUID.randomUUID(), 9, bytes(90))).as("no such account").isFalse();

    Account account = accounts.byId(id).orElseThrow();
    assertThat(account.deviceListVersion()).isEqualTo(5);
    assertThat(account.deviceList()).isEqualTo(second);
  }

  @StorageTest
  void reservedDeviceIdsStartAfterThePrimaryAndAreNeverReused(Storage storage) {
    Accounts accounts = storage.accounts();
    UUID id = register(storage, PHONE);

    assertThat(accounts.reserveDeviceId(id)).isEqualTo(2);
    DeviceRecord linked = link(storage, id);
    assertThat(linked.deviceId()).isEqualTo(3);
    accounts.removeDevices(id, List.of(3), REMOVED_BY_PRIMARY, 3_000, 0, null);
    assertThat(accounts.reserveDeviceId(id)).as("after an unlink").isEqualTo(4);
    accounts.registerPrimary(PHONE, primary(UUID.randomUUID(), credentialHash(), 4_000), keys(1, 1, 1), REREGISTERED);
    assertThat(accounts.reserveDeviceId(id)).as("after re-registration").isEqualTo(5);
  }

  @StorageTest
  void aCompanionIsLinkedTogetherWithTheListThatVouchesForIt(Storage storage) {
    Accounts accounts = storage.accounts();
    UUID id = register(storage, PHONE);
    int deviceId = accounts.reserveDeviceId(id);
    DeviceRecord companion = companion(id, deviceId, credentialHash(), 2_000);
    byte[] list = bytes(120);

    assertThat(accounts.addCompanion(companion, keys(7, 2, 1), 1, list, 4)).isEqualTo(LinkResult.LINKED);

    assertThat(accounts.device(companion.address())).get().usingRecursiveComparison().isEqualTo(companion);
    assertThat(accounts.devices(id)).extracting(DeviceRecord::deviceId).containsExactly(1, deviceId);
    Account account = accounts.byId(id).orElseThrow();
    assertThat(account.deviceListVersion()).isEqualTo(1);
    assertThat(account.deviceList()).isEqualTo(list);
    assertThat(storage.keys().counts(companion.address())).isEqualTo(new PreKeys.Counts(2, 1));
  }

  @StorageTest
  void linkingBeyondTheCompanionLimitStoresNothing(Storage storage) {
    Accounts accounts = storage.accounts();
    UUID id = register(storage, PHONE);
    link(storage, id);
    link(storage, id);
    DeviceRecord third = companion(id, accounts.reserveDeviceId(id), credentialHash(), 2_000);

    assertThat(accounts.addCompanion(third, keys(7, 2, 2), 3, bytes(100), 2))
        .isEqualTo(LinkResult.LIMIT_REACHED);

    assertThat(accounts.device(third.address())).isEmpty();
    assertThat(accounts.byId(id).orElseThrow().deviceListVersion()).isEqualTo(2);
    assertThat(storage.keys().counts(third.address())).isEqualTo(new PreKeys.Counts(0, 0));
  }

  @StorageTest
  void linkingWithAListThatIsNotNewerIsRefusedAsStale(Storage storage) {
    Accounts accounts = storage.accounts();
    UUID id = register(storage, PHONE);
    byte[] stored = bytes(100);
    accounts.putDeviceList(id, 5, stored);

    for (long version : List.of(5L, 4L)) {
      DeviceRecord companion = companion(id, accounts.reserveDeviceId(id), credentialHash(), 2_000);
      assertThat(accounts.addCompanion(companion, keys(7, 2, 2), version, bytes(100), 4))
          .as("list version %d", version)
          .isEqualTo(LinkResult.STALE_VERSION);
      assertThat(accounts.device(companion.address())).isEmpty();
      assertThat(storage.keys().counts(companion.address())).isEqualTo(new PreKeys.Counts(0, 0));
    }
    assertThat(accounts.byId(id).orElseThrow().deviceList()).isEqualTo(stored);
  }

  @StorageTest
  void linkingUnderADeviceIdThatIsTakenKeepsTheDeviceThere(Storage storage) {
    Accounts accounts = storage.accounts();
    UUID id = register(storage, PHONE);
    DeviceRecord first = link(storage, id);
    long version = accounts.byId(id).orElseThrow().deviceListVersion();

    DeviceRecord impostor = companion(id, first.deviceId(), credentialHash(), 3_000);
    DeviceRecord overPrimary = companion(id, 1, credentialHash(), 3_000);

    assertThat(accounts.addCompanion(impostor, keys(7, 2, 2), version + 1, bytes(100), 4))
        .isEqualTo(LinkResult.DEVICE_ID_TAKEN);
    assertThat(accounts.addCompanion(overPrimary, keys(7, 2, 2), version + 1, bytes(100), 4))
        .isEqualTo(LinkResult.DEVICE_ID_TAKEN);
    assertThat(accounts.device(first.address())).get().usingRecursiveComparison().isEqualTo(first);
    assertThat(accounts.device(new DeviceAddress(id, 1)).orElseThrow().isPrimary()).isTrue();
    assertThat(accounts.device(new DeviceAddress(id, 1)).orElseThrow().credentialHash())
        .isNotEqualTo(overPrimary.credentialHash());
    assertThat(accounts.byId(id).orElseThrow().deviceListVersion()).isEqualTo(version);
  }

  @StorageTest
  void unlinkingRevokesTheCredentialAndPurgesKeysAndQueue(Storage storage) {
    Accounts accounts = storage.accounts();
    UUID id = register(storage, PHONE);
    DeviceRecord gone = link(storage, id);
    DeviceRecord kept = link(storage, id);
    storage.queues().append(List.of(envelope(gone.address(), 10), envelope(kept.address(), 10))).join();
    assertThat(storage.queues().length(gone.address())).isEqualTo(1);
    Account before = accounts.byId(id).orElseThrow();

    List<DeviceAddress> removed =
        accounts.removeDevices(id, List.of(gone.deviceId(), 99), REMOVED_BY_PRIMARY, 5_000, 0, null);

    assertThat(removed).as("only devices that existed").containsExactly(gone.address());
    assertThat(accounts.device(gone.address())).isEmpty();
    assertThat(accounts.tombstone(gone.address(), gone.credentialHash())).get().usingRecursiveComparison()
        .isEqualTo(new Tombstone(gone.address(), gone.credentialHash(), REMOVED_BY_PRIMARY, 5_000));
    assertThat(accounts.tombstone(new DeviceAddress(id, 99), gone.credentialHash())).isEmpty();
    assertThat(storage.keys().take(gone.address())).isEmpty();
    assertThat(storage.keys().counts(gone.address())).isEqualTo(new PreKeys.Counts(0, 0));
    assertThat(storage.queues().read(gone.address(), 0, 10)).isEmpty();
    assertThat(storage.queues().length(gone.address())).isZero();

    assertThat(accounts.device(kept.address())).isPresent();
    assertThat(storage.keys().counts(kept.address())).isEqualTo(new PreKeys.Counts(3, 3));
    assertThat(storage.queues().length(kept.address())).isEqualTo(1);
    assertThat(accounts.byId(id).orElseThrow().deviceList()).as("no list given").isEqualTo(before.deviceList());
  }

  @StorageTest
  void unlinkingWithANewerListStoresItAndAnOlderOneIsIgnored(Storage storage) {
    Accounts accounts = storage.accounts();
    UUID id = register(storage, PHONE);
    DeviceRecord first = link(storage, id);
    DeviceRecord second = link(storage, id);
    long version = accounts.byId(id).orElseThrow().deviceListVersion();
    byte[] newer = bytes(100);

    accounts.removeDevices(id, List.of(first.deviceId()), REMOVED_BY_PRIMARY, 5_000, version + 1, newer);
    List<DeviceAddress> removed =
        accounts.removeDevices(id, List.of(second.deviceId()), REMOVED_BY_PRIMARY, 6_000, version, bytes(100));

    assertThat(removed).as("an old list does not stop the unlink").containsExactly(second.address());
    Account account = accounts.byId(id).orElseThrow();
    assertThat(account.deviceListVersion()).isEqualTo(version + 1);
    assertThat(account.deviceList()).isEqualTo(newer);
  }

  @StorageTest
  void activityIsRecordedAndNeverMovesBackwards(Storage storage) {
    Accounts accounts = storage.accounts();
    UUID id = register(storage, PHONE);
    DeviceAddress primary = new DeviceAddress(id, 1);
    DeviceAddress companion = link(storage, id).address();
    DeviceAddress nobody = new DeviceAddress(UUID.randomUUID(), 1);

    accounts.recordActivity(Map.of(primary, 50_000L, companion, 60_000L, nobody, 70_000L));
    accounts.recordActivity(Map.of(primary, 40_000L));
    accounts.recordActivity(Map.of());

    assertThat(accounts.device(primary).orElseThrow().lastSeen()).isEqualTo(50_000);
    assertThat(accounts.device(companion).orElseThrow().lastSeen()).isEqualTo(60_000);
    assertThat(accounts.device(nobody)).as("activity never creates a device").isEmpty();

    accounts.recordActivity(Map.of(primary, 80_000L));
    assertThat(accounts.device(primary).orElseThrow().lastSeen()).isEqualTo(80_000);
  }
}
