package org.parley.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parley.server.store.StoreFixtures.bytes;

import java.util.UUID;
import org.parley.server.store.RegistrationLocks.Lock;

class RegistrationLocksContractTest {
  @StorageTest
  void aLockIsKeptPerAccountReplacedAndCleared(Storage storage) {
    UUID account = UUID.randomUUID();
    UUID other = UUID.randomUUID();
    Lock first = new Lock(bytes(32), bytes(16), 600_000, 1_000);
    Lock second = new Lock(bytes(32), bytes(16), 600_000, 2_000);

    storage.registrationLocks().put(account, first);
    storage.registrationLocks().put(other, first);
    storage.registrationLocks().put(account, second);
    assertThat(storage.registrationLocks().get(account)).get().usingRecursiveComparison().isEqualTo(second);

    storage.registrationLocks().clear(account);
    assertThat(storage.registrationLocks().get(account)).isEmpty();
    assertThat(storage.registrationLocks().get(other)).get().usingRecursiveComparison().isEqualTo(first);
  }
}
