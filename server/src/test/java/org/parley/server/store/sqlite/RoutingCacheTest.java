package org.parley.server.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parley.server.store.StoreFixtures.link;
import static org.parley.server.store.StoreFixtures.register;

import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.protocol.wire.UnlinkReason;
import org.parley.server.store.DeviceRecord;

/**
 * The stale-entry race of the embedded store's device-list cache: a list read before a device change
 * but stored after the change's commit would let every later send miss a new device or reach a
 * removed one. The change is made exactly between the read and the storing.
 */
class RoutingCacheTest {
  @TempDir Path dir;
  private SqliteStorage storage;
  private SqliteAccounts accounts;

  @BeforeEach
  void open() {
    storage = new SqliteStorage(dir);
    accounts = (SqliteAccounts) storage.accounts();
  }

  @AfterEach
  void close() {
    storage.close();
  }

  @Test
  void aDeviceLinkedBetweenTheReadAndTheStoringIsNotMissedAfterwards() {
    UUID account = register(storage, "+15550009001");
    DeviceRecord[] linked = new DeviceRecord[1];
    onceBetweenReadAndStore(() -> linked[0] = link(storage, account));

    // This read began before the link: it may not know the new device, but it must not be kept.
    assertThat(ids(accounts.routingDevices(account))).containsExactly(1);

    assertThat(ids(accounts.routingDevices(account))).containsExactly(1, linked[0].deviceId());
  }

  @Test
  void aDeviceRemovedBetweenTheReadAndTheStoringIsNotReachedAfterwards() {
    UUID account = register(storage, "+15550009002");
    DeviceRecord laptop = link(storage, account);
    onceBetweenReadAndStore(
        () -> accounts.removeDevices(account, List.of(laptop.deviceId()), UnlinkReason.REMOVED_BY_PRIMARY_VALUE, 3_000, 0, null));

    assertThat(ids(accounts.routingDevices(account))).containsExactly(1, laptop.deviceId());

    assertThat(ids(accounts.routingDevices(account))).containsExactly(1);
  }

  @Test
  void aChangeOfAnotherAccountAlsoKeepsTheReadFromBeingStored() {
    // The guard counts changes of any account: conservative, never stale.
    UUID account = register(storage, "+15550009003");
    UUID other = register(storage, "+15550009004");
    onceBetweenReadAndStore(() -> link(storage, other));

    accounts.routingDevices(account);

    assertThat(accounts.routingCached(account)).isFalse();
    accounts.routingDevices(account);
    assertThat(accounts.routingCached(account)).isTrue();
  }

  @Test
  void anAccountThatDoesNotExistIsNotKept() {
    UUID madeUp = UUID.randomUUID();

    assertThat(accounts.routingDevices(madeUp)).isEmpty();

    assertThat(accounts.routingCached(madeUp)).as("made-up ids cannot fill the cache").isFalse();
    UUID account = register(storage, "+15550009005");
    accounts.routingDevices(account);
    assertThat(accounts.routingCached(account)).isTrue();
  }

  private void onceBetweenReadAndStore(Runnable change) {
    AtomicBoolean done = new AtomicBoolean();
    accounts.afterRoutingRead = () -> {
      if (done.compareAndSet(false, true)) {
        change.run();
      }
    };
  }

  private static List<Integer> ids(List<DeviceRecord> devices) {
    return devices.stream().map(DeviceRecord::deviceId).toList();
  }
}
