package org.parley.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parley.server.store.StoreFixtures.bytes;

import org.parley.server.store.VerificationCodes.PendingCode;

class VerificationCodesContractTest {
  private static final String PHONE = "+15550004001";
  private static final String OTHER = "+15550004002";

  @StorageTest
  void aPendingCodeIsKeptPerPhoneNumber(Storage storage) {
    PendingCode code = new PendingCode(PHONE, bytes(32), 60_000, 0);
    PendingCode other = new PendingCode(OTHER, bytes(32), 70_000, 2);

    storage.verificationCodes().put(code);
    storage.verificationCodes().put(other);

    assertThat(storage.verificationCodes().get(PHONE)).get().usingRecursiveComparison().isEqualTo(code);
    assertThat(storage.verificationCodes().get(OTHER)).get().usingRecursiveComparison().isEqualTo(other);
    assertThat(storage.verificationCodes().get("+15550004003")).isEmpty();
  }

  @StorageTest
  void puttingACodeAgainReplacesIt(Storage storage) {
    storage.verificationCodes().put(new PendingCode(PHONE, bytes(32), 60_000, 0));
    PendingCode wrongGuess = new PendingCode(PHONE, bytes(32), 60_000, 1);

    storage.verificationCodes().put(wrongGuess);

    assertThat(storage.verificationCodes().get(PHONE)).get().usingRecursiveComparison().isEqualTo(wrongGuess);
  }

  @StorageTest
  void aDeletedCodeIsGoneAndOthersStay(Storage storage) {
    storage.verificationCodes().put(new PendingCode(PHONE, bytes(32), 60_000, 0));
    storage.verificationCodes().put(new PendingCode(OTHER, bytes(32), 60_000, 0));

    storage.verificationCodes().delete(PHONE);
    storage.verificationCodes().delete("+15550004003");

    assertThat(storage.verificationCodes().get(PHONE)).isEmpty();
    assertThat(storage.verificationCodes().get(OTHER)).isPresent();
  }

  @StorageTest
  void everyAttemptIsCountedAtomically(Storage storage) throws Exception {
    byte[] hash = bytes(32);
    storage.verificationCodes().put(new PendingCode(PHONE, hash, 60_000, 0));

    var pool = java.util.concurrent.Executors.newFixedThreadPool(8);
    try {
      var attempts = new java.util.ArrayList<java.util.concurrent.Future<?>>();
      for (int i = 0; i < 40; i++) {
        attempts.add(pool.submit(() -> storage.verificationCodes().attempt(PHONE)));
      }
      for (var attempt : attempts) {
        attempt.get();
      }
    } finally {
      pool.shutdown();
    }

    assertThat(storage.verificationCodes().get(PHONE)).get()
        .satisfies(code -> {
          assertThat(code.failedAttempts()).isEqualTo(40);
          assertThat(code.codeHash()).isEqualTo(hash);
        });
    assertThat(storage.verificationCodes().attempt(OTHER)).isEmpty();
  }
}
