package org.parley.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parley.server.store.StoreFixtures.envelope;
import static org.parley.server.store.StoreFixtures.link;
import static org.parley.server.store.StoreFixtures.register;

import java.util.List;
import java.util.UUID;
import org.parley.protocol.wire.UnlinkReason;

/** What the operator's tools ask of every store: counts, account deletion, tombstone purge, probe. */
class OperatorContractTest {
  private static final int DELETED = UnlinkReason.ACCOUNT_DELETED_VALUE;

  @StorageTest
  void countsFollowAccountsDevicesTombstonesAndQueues(Storage storage) {
    assertThat(storage.accounts().counts()).isEqualTo(new Accounts.Counts(0, 0, 0));
    assertThat(storage.queues().totalLength()).isZero();
    UUID alice = register(storage, "+15550002001");
    DeviceRecord laptop = link(storage, alice);
    register(storage, "+15550002002");
    storage.queues().append(List.of(envelope(laptop.address(), 5), envelope(new DeviceAddress(alice, 1), 5))).join();

    assertThat(storage.accounts().counts()).isEqualTo(new Accounts.Counts(2, 3, 0));
    assertThat(storage.queues().totalLength()).isEqualTo(2);
  }

  @StorageTest
  void deletingAnAccountUnlinksEveryDeviceTellsThemWhyAndFreesTheNumber(Storage storage) {
    UUID alice = register(storage, "+15550002003");
    DeviceRecord laptop = link(storage, alice);
    DeviceRecord primary = storage.accounts().device(new DeviceAddress(alice, 1)).orElseThrow();
    UUID bob = register(storage, "+15550002004");
    storage.queues().append(List.of(envelope(laptop.address(), 5), envelope(new DeviceAddress(bob, 1), 5))).join();

    assertThat(storage.accounts().deleteAccount(alice, DELETED, 7_000))
        .get()
        .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.LIST)
        .containsExactlyInAnyOrder(primary.address(), laptop.address());

    assertThat(storage.accounts().byId(alice)).isEmpty();
    assertThat(storage.accounts().byPhone("+15550002003")).isEmpty();
    assertThat(storage.accounts().devices(alice)).isEmpty();
    assertThat(storage.queues().length(laptop.address())).isZero();
    assertThat(storage.queues().totalLength()).as("bob's queue is untouched").isEqualTo(1);
    assertThat(storage.accounts().tombstone(laptop.address(), laptop.credentialHash()))
        .get()
        .satisfies(t -> {
          assertThat(t.reason()).isEqualTo(DELETED);
          assertThat(t.at()).isEqualTo(7_000);
        });
    assertThat(storage.accounts().deleteAccount(alice, DELETED, 8_000)).as("gone already").isEmpty();
    assertThat(storage.accounts().deleteAccount(UUID.randomUUID(), DELETED, 8_000)).isEmpty();
  }

  @StorageTest
  void purgingTombstonesForgetsOnlyTheOldOnes(Storage storage) {
    UUID alice = register(storage, "+15550002005");
    DeviceRecord old = link(storage, alice);
    DeviceRecord recent = link(storage, alice);
    storage.accounts().removeDevices(alice, List.of(old.deviceId()), UnlinkReason.REMOVED_BY_PRIMARY_VALUE, 1_000, 0, null);
    storage.accounts().removeDevices(alice, List.of(recent.deviceId()), UnlinkReason.REMOVED_BY_PRIMARY_VALUE, 5_000, 0, null);

    assertThat(storage.accounts().purgeTombstones(3_000)).isEqualTo(1);

    assertThat(storage.accounts().tombstone(old.address(), old.credentialHash())).isEmpty();
    assertThat(storage.accounts().tombstone(recent.address(), recent.credentialHash())).isPresent();
    assertThat(storage.accounts().counts().tombstones()).isEqualTo(1);
  }

  @StorageTest
  void aWorkingStoreAnswersTheProbe(Storage storage) {
    storage.probe();
    storage.probe();
  }
}
