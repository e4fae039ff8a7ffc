package org.parley.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parley.server.store.StoreFixtures.envelope;
import static org.parley.server.store.StoreFixtures.link;
import static org.parley.server.store.StoreFixtures.register;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.parley.protocol.wire.UnlinkReason;

class QueuesContractTest {
  private static final String PHONE = "+15550003001";

  @StorageTest
  void appendedEnvelopesComeBackInQueueOrderWithTheirPositions(Storage storage) {
    UUID account = register(storage, PHONE);
    DeviceAddress primary = new DeviceAddress(account, 1);
    DeviceAddress companion = link(storage, account).address();
    List<NewEnvelope> batch =
        List.of(envelope(primary, 100), envelope(companion, 100), envelope(primary, 101));

    List<QueuedEnvelope> stored = storage.queues().append(batch).join();

    assertThat(stored).hasSize(3);
    for (int i = 0; i < batch.size(); i++) {
      assertThat(stored.get(i)).usingRecursiveComparison().ignoringFields("seq").isEqualTo(batch.get(i));
    }
    assertThat(stored).extracting(QueuedEnvelope::seq).isSorted().doesNotHaveDuplicates();
    assertThat(storage.queues().read(primary, 0, 10))
        .usingRecursiveFieldByFieldElementComparator()
        .containsExactly(stored.get(0), stored.get(2));
    assertThat(storage.queues().read(companion, 0, 10))
        .usingRecursiveFieldByFieldElementComparator()
        .containsExactly(stored.get(1));
  }

  @StorageTest
  void anEnvelopeItsDeviceAckedBeforeTheStoreClaimedItIsNotWritten(Storage storage) {
    DeviceAddress device = new DeviceAddress(register(storage, PHONE), 1);
    NewEnvelope acked = envelope(device, 100);
    NewEnvelope waiting = envelope(device, 101);
    assertThat(acked.claim().ackedBeforeWrite()).isTrue(); // pushed early, acked at once

    List<QueuedEnvelope> stored = storage.queues().append(List.of(acked, waiting)).join();

    assertThat(stored).extracting(QueuedEnvelope::serverTimestamp).containsExactly(101L);
    assertThat(storage.queues().read(device, 0, 10)).extracting(QueuedEnvelope::serverTimestamp).containsExactly(101L);
    assertThat(storage.queues().length(device)).isEqualTo(1);
    assertThat(waiting.claim().ackedBeforeWrite()).as("an ack after the write: delete it as usual").isFalse();
  }

  @StorageTest
  void laterAppendsGetLaterPositions(Storage storage) {
    DeviceAddress device = new DeviceAddress(register(storage, PHONE), 1);

    long first = storage.queues().append(List.of(envelope(device, 500))).join().getFirst().seq();
    long second = storage.queues().append(List.of(envelope(device, 400))).join().getFirst().seq();

    assertThat(second).as("positions follow commit order, not server time").isGreaterThan(first);
    assertThat(storage.queues().read(device, 0, 10)).extracting(QueuedEnvelope::seq).containsExactly(first, second);
  }

  @StorageTest
  void queueBytesCountWhatWaitsAndDropWithDeletes(Storage storage) {
    DeviceAddress device = new DeviceAddress(register(storage, PHONE), 1);
    assertThat(storage.queues().bytes(device)).isZero();
    List<Long> seqs = append(storage, device, 3);

    assertThat(storage.queues().bytes(device)).isEqualTo(3 * 120);
    storage.queues().delete(device, List.of(seqs.get(0))).join();
    assertThat(storage.queues().bytes(device)).isEqualTo(2 * 120);
    assertThat(storage.queues().length(device)).isEqualTo(2);
  }

  @StorageTest
  void aReadStartsAfterTheGivenPositionAndStopsAtTheLimit(Storage storage) {
    DeviceAddress device = new DeviceAddress(register(storage, PHONE), 1);
    List<Long> seqs = append(storage, device, 5);

    assertThat(storage.queues().read(device, seqs.get(1), 2))
        .extracting(QueuedEnvelope::seq)
        .containsExactly(seqs.get(2), seqs.get(3));
    assertThat(storage.queues().read(device, seqs.get(4), 10)).isEmpty();
  }

  @StorageTest
  void deleteRemovesOnlyTheNamedEnvelopesOfThatDevice(Storage storage) {
    UUID account = register(storage, PHONE);
    DeviceAddress primary = new DeviceAddress(account, 1);
    DeviceAddress companion = link(storage, account).address();
    List<Long> seqs = append(storage, primary, 3);

    storage.queues().delete(companion, List.of(seqs.get(0))).join();
    assertThat(storage.queues().read(primary, 0, 10)).as("another device cannot ack these").hasSize(3);

    storage.queues().delete(primary, List.of(seqs.get(0), seqs.get(2))).join();
    storage.queues().delete(primary, List.of(seqs.get(0), 999_999L)).join();

    assertThat(storage.queues().read(primary, 0, 10)).extracting(QueuedEnvelope::seq).containsExactly(seqs.get(1));
    assertThat(storage.queues().length(primary)).isEqualTo(1);
  }

  @StorageTest
  void positionsAreNeverReusedEvenAfterTheNewestIsDeleted(Storage storage) {
    DeviceAddress device = new DeviceAddress(register(storage, PHONE), 1);
    List<Long> seqs = append(storage, device, 2);
    long newest = seqs.get(1);

    storage.queues().delete(device, List.of(newest)).join();
    long next = append(storage, device, 1).getFirst();

    assertThat(next).isGreaterThan(newest);
  }

  @StorageTest
  void lengthFollowsAppendsDeletesPurgesAndUnlinks(Storage storage) {
    UUID account = register(storage, PHONE);
    DeviceAddress primary = new DeviceAddress(account, 1);
    DeviceRecord companion = link(storage, account);
    assertThat(storage.queues().length(primary)).isZero();
    assertThat(storage.queues().length(companion.address())).isZero();

    List<Long> seqs = append(storage, primary, 4);
    append(storage, companion.address(), 3);
    assertThat(storage.queues().length(primary)).isEqualTo(4);
    assertThat(storage.queues().length(companion.address())).isEqualTo(3);

    storage.queues().delete(primary, List.of(seqs.get(0), seqs.get(0))).join();
    assertThat(storage.queues().length(primary)).as("a double ack counts once").isEqualTo(3);

    storage.queues().append(List.of(envelope(primary, 1))).join();
    assertThat(storage.queues().purgeStoredBefore(50)).isEqualTo(1);
    assertThat(storage.queues().length(primary)).isEqualTo(3);

    storage.accounts().removeDevices(
        account, List.of(companion.deviceId()), UnlinkReason.REMOVED_BY_PRIMARY_VALUE, 5_000, 0, null);
    assertThat(storage.queues().length(companion.address())).isZero();
    append(storage, primary, 1);
    assertThat(storage.queues().length(primary)).isEqualTo(4);
  }

  @StorageTest
  void lengthIsRightWhenFirstAskedAfterTheQueueFilled(Storage storage) {
    DeviceAddress device = new DeviceAddress(register(storage, PHONE), 1);
    List<Long> seqs = append(storage, device, 5);
    storage.queues().delete(device, List.of(seqs.get(4))).join();

    assertThat(storage.queues().length(device)).isEqualTo(4);
  }

  @StorageTest
  void purgeDropsEnvelopesStoredBeforeTheCutoffOnly(Storage storage) {
    UUID account = register(storage, PHONE);
    DeviceAddress primary = new DeviceAddress(account, 1);
    DeviceAddress companion = link(storage, account).address();
    storage.queues()
        .append(
            List.of(
                envelope(primary, 100), envelope(companion, 150), envelope(primary, 199),
                envelope(primary, 200), envelope(companion, 300)))
        .join();

    assertThat(storage.queues().purgeStoredBefore(200)).isEqualTo(3);

    assertThat(storage.queues().read(primary, 0, 10)).extracting(QueuedEnvelope::serverTimestamp).containsExactly(200L);
    assertThat(storage.queues().read(companion, 0, 10)).extracting(QueuedEnvelope::serverTimestamp).containsExactly(300L);
    assertThat(storage.queues().purgeStoredBefore(200)).isZero();
  }

  /**
   * Queue positions follow commit order, and server times do not strictly follow it (two sends
   * stamped in one order can commit in the other; clocks get stepped). A purge must still find
   * every old envelope, however many there are and wherever newer ones sit between them.
   */
  @StorageTest
  void purgeFindsEveryOldEnvelopeEvenBehindNewerOnes(Storage storage) {
    DeviceAddress device = new DeviceAddress(register(storage, PHONE), 1);
    List<NewEnvelope> batch = new ArrayList<>();
    batch.add(envelope(device, 10_000));
    for (int i = 0; i < 2_500; i++) {
      batch.add(envelope(device, 1_000 + (i % 7)));
    }
    batch.add(envelope(device, 10_001));
    storage.queues().append(batch).join();

    assertThat(storage.queues().purgeStoredBefore(5_000)).isEqualTo(2_500);

    assertThat(storage.queues().read(device, 0, 10))
        .extracting(QueuedEnvelope::serverTimestamp)
        .containsExactly(10_000L, 10_001L);
    assertThat(storage.queues().length(device)).isEqualTo(2);
  }

  private static List<Long> append(Storage storage, DeviceAddress device, int count) {
    List<NewEnvelope> envelopes = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      envelopes.add(envelope(device, 1_000 + i));
    }
    return storage.queues().append(envelopes).join().stream().map(QueuedEnvelope::seq).toList();
  }
}
