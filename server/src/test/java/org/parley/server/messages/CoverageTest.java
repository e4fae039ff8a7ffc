package org.parley.server.messages;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.parley.protocol.wire.AccountMismatch;
import org.parley.server.store.DeviceRecord;
import org.parley.server.store.StoreFixtures;

class CoverageTest {
  private static final UUID ACCOUNT = UUID.randomUUID();
  /** Devices 1, 2 and 3 with registration ids 101, 102 and 103. */
  private static final List<DeviceRecord> CURRENT = List.of(device(1), device(2), device(3));

  @Test
  void addressingEveryCurrentDeviceWithItsRegistrationIdCoversTheAccount() {
    assertThat(check(Map.of(1, 101, 2, 102, 3, 103), Set.of())).isNull();
  }

  @Test
  void aDeviceLeftOutIsMissing() {
    AccountMismatch mismatch = check(Map.of(1, 101, 3, 103), Set.of());

    assertThat(mismatch.getAccountId()).isEqualTo(ACCOUNT.toString());
    assertThat(mismatch.getMissingList()).containsExactly(2);
    assertThat(mismatch.getExtraList()).isEmpty();
    assertThat(mismatch.getStaleList()).isEmpty();
  }

  @Test
  void aDeviceThatIsGoneIsExtra() {
    AccountMismatch mismatch = check(Map.of(1, 101, 2, 102, 3, 103, 4, 104), Set.of());

    assertThat(mismatch.getExtraList()).containsExactly(4);
    assertThat(mismatch.getMissingList()).isEmpty();
  }

  @Test
  void aDeviceRegisteredAgainIsStale() {
    AccountMismatch mismatch = check(Map.of(1, 101, 2, 999, 3, 103), Set.of());

    assertThat(mismatch.getStaleList()).containsExactly(2);
    assertThat(mismatch.getMissingList()).isEmpty();
    assertThat(mismatch.getExtraList()).isEmpty();
  }

  @Test
  void aDeclinedDeviceCountsAsCovered() {
    assertThat(check(Map.of(1, 101, 3, 103), Set.of(2))).isNull();
  }

  @Test
  void decliningADeviceThatIsGoneIsExtra() {
    AccountMismatch mismatch = check(Map.of(1, 101, 2, 102, 3, 103), Set.of(7));

    assertThat(mismatch.getExtraList()).containsExactly(7);
  }

  @Test
  void everyKindOfMismatchIsReportedAtOnceInDeviceOrder() {
    AccountMismatch mismatch = check(Map.of(9, 109, 1, 555, 5, 105), Set.of(8, 3));

    assertThat(mismatch.getMissingList()).containsExactly(2);
    assertThat(mismatch.getExtraList()).containsExactly(5, 8, 9);
    assertThat(mismatch.getStaleList()).containsExactly(1);
  }

  @Test
  void anAccountWithNoOtherDeviceIsCoveredByNothing() {
    assertThat(Coverage.check(ACCOUNT.toString(), List.of(), Map.of(), Set.of())).isNull();
  }

  private static AccountMismatch check(Map<Integer, Integer> addressed, Set<Integer> declined) {
    return Coverage.check(ACCOUNT.toString(), CURRENT, addressed, declined);
  }

  private static DeviceRecord device(int id) {
    DeviceRecord template = StoreFixtures.companion(ACCOUNT, id, StoreFixtures.credentialHash(), 1_000);
    return new DeviceRecord(
        ACCOUNT, id, 100 + id, template.identityKey(), template.credentialHash(), template.name(),
        template.kind(), template.createdAt(), template.lastSeen(), template.deviceSignature());
  }
}
