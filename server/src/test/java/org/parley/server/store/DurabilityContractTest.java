package org.parley.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parley.server.store.StoreFixtures.bytes;
import static org.parley.server.store.StoreFixtures.envelope;
import static org.parley.server.store.StoreFixtures.link;
import static org.parley.server.store.StoreFixtures.register;

import java.util.List;
import java.util.UUID;
import org.parley.protocol.wire.UnlinkReason;
import org.parley.server.store.VerificationCodes.PendingCode;

class DurabilityContractTest {
  private static final String PHONE = "+15550005001";

  @StorageTest
  void everythingCommittedSurvivesClosingAndReopening(StorageBackend backend) {
    Storage before = backend.open();
    UUID account = register(before, PHONE);
    DeviceAddress primary = new DeviceAddress(account, 1);
    DeviceRecord companion = link(before, account);
    DeviceRecord unlinked = link(before, account);
    before.accounts().removeDevices(
        account, List.of(unlinked.deviceId()), UnlinkReason.UNLINKED_SELF_VALUE, 7_000, 0, null);
    byte[] list = bytes(100);
    before.accounts().putDeviceList(account, 10, list);
    PendingCode code = new PendingCode("+15550005002", bytes(32), 60_000, 1);
    before.verificationCodes().put(code);
    List<QueuedEnvelope> queued =
        before.queues()
            .append(List.of(envelope(primary, 100), envelope(primary, 101), envelope(companion.address(), 102)))
            .join();
    before.queues().delete(primary, List.of(queued.get(1).seq())).join();
    List<DeviceRecord> devices = before.accounts().devices(account);
    PreKeys.Counts keys = before.keys().counts(companion.address());
    before.close();

    Storage after = backend.open();

    Account reopened = after.accounts().byPhone(PHONE).orElseThrow();
    assertThat(reopened.id()).isEqualTo(account);
    assertThat(reopened.deviceListVersion()).isEqualTo(10);
    assertThat(reopened.deviceList()).isEqualTo(list);
    assertThat(after.accounts().devices(account)).usingRecursiveFieldByFieldElementComparator()
        .containsExactlyElementsOf(devices);
    assertThat(after.accounts().tombstone(unlinked.address(), unlinked.credentialHash())).get()
        .extracting(Tombstone::reason).isEqualTo(UnlinkReason.UNLINKED_SELF_VALUE);
    assertThat(after.keys().counts(companion.address())).isEqualTo(keys);
    assertThat(after.verificationCodes().get(code.phone())).get().usingRecursiveComparison().isEqualTo(code);
    assertThat(after.queues().read(primary, 0, 10)).usingRecursiveFieldByFieldElementComparator()
        .containsExactly(queued.get(0));
    assertThat(after.queues().length(primary)).isEqualTo(1);
    assertThat(after.queues().length(companion.address())).isEqualTo(1);
    assertThat(after.accounts().reserveDeviceId(account)).isGreaterThan(unlinked.deviceId());
    long next = after.queues().append(List.of(envelope(primary, 103))).join().getFirst().seq();
    assertThat(next).as("positions are not reused after a restart").isGreaterThan(queued.get(2).seq());
  }
}
