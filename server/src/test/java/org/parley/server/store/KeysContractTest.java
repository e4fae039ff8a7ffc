package org.parley.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parley.server.store.StoreFixtures.keys;
import static org.parley.server.store.StoreFixtures.link;
import static org.parley.server.store.StoreFixtures.oneTimeOnly;
import static org.parley.server.store.StoreFixtures.register;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.parley.protocol.wire.UnlinkReason;

class KeysContractTest {
  private static final String PHONE = "+15550002001";

  @StorageTest
  void aBundleCarriesTheSignedKeysAndOneOneTimeKeyOfEachKind(Storage storage) {
    PreKeys.Upload upload = keys(10, 1, 1);
    DeviceAddress device = deviceWith(storage, upload);

    PreKeys.Bundle bundle = storage.keys().take(device).orElseThrow();

    assertThat(bundle.device().address()).isEqualTo(device);
    assertThat(bundle.signedPreKey()).usingRecursiveComparison().isEqualTo(upload.signedPreKey());
    assertThat(bundle.preKey()).usingRecursiveComparison().isEqualTo(upload.oneTimePreKeys().getFirst());
    assertThat(bundle.kyberPreKey()).usingRecursiveComparison().isEqualTo(upload.oneTimeKyberPreKeys().getFirst());
  }

  @StorageTest
  void takingManyAtOnceGivesEachDeviceItsOwnBundleInOrder(Storage storage) {
    DeviceAddress first = deviceWith(storage, keys(10, 2, 2));
    UUID account = register(storage, "+15550002099");
    DeviceAddress second = new DeviceAddress(account, 1);
    DeviceAddress laptop = link(storage, account).address();
    DeviceAddress unknown = new DeviceAddress(UUID.randomUUID(), 1);

    List<java.util.Optional<PreKeys.Bundle>> bundles =
        storage.keys().takeAll(List.of(first, unknown, second, laptop, first));

    assertThat(bundles.get(1)).isEmpty();
    assertThat(List.of(bundles.get(0), bundles.get(2), bundles.get(3), bundles.get(4)))
        .extracting(b -> b.orElseThrow().device().address())
        .containsExactly(first, second, laptop, first);
    assertThat(bundles.get(0).orElseThrow().preKey().id())
        .as("the same device twice gets two different one-time keys")
        .isNotEqualTo(bundles.get(4).orElseThrow().preKey().id());
    assertThat(storage.keys().counts(first)).isEqualTo(new PreKeys.Counts(0, 0));
  }

  @StorageTest
  void eachOneTimeKeyIsHandedOutOnceAndThenTheLastResortKyberKeyIsServed(Storage storage) {
    PreKeys.Upload upload = keys(10, 3, 3);
    DeviceAddress device = deviceWith(storage, upload);
    PreKeys.Counts before = storage.keys().counts(device);

    List<Integer> preKeys = new ArrayList<>();
    List<Integer> kyberKeys = new ArrayList<>();
    for (int i = 0; i < before.preKeys(); i++) {
      PreKeys.Bundle bundle = storage.keys().take(device).orElseThrow();
      preKeys.add(bundle.preKey().id());
      kyberKeys.add(bundle.kyberPreKey().id());
      assertThat(storage.keys().counts(device))
          .isEqualTo(new PreKeys.Counts(before.preKeys() - i - 1, before.kyberPreKeys() - i - 1));
    }
    assertThat(preKeys).doesNotHaveDuplicates();
    assertThat(kyberKeys).doesNotHaveDuplicates().doesNotContain(upload.kyberLastResort().id());

    PreKeys.Bundle exhausted = storage.keys().take(device).orElseThrow();
    assertThat(exhausted.preKey()).as("no one-time EC key is left").isNull();
    assertThat(exhausted.kyberPreKey()).usingRecursiveComparison().isEqualTo(upload.kyberLastResort());
    assertThat(exhausted.signedPreKey()).usingRecursiveComparison().isEqualTo(upload.signedPreKey());
    assertThat(storage.keys().take(device).orElseThrow().kyberPreKey().id())
        .as("the last-resort key is never consumed")
        .isEqualTo(upload.kyberLastResort().id());
  }

  @StorageTest
  void anUploadAddsOneTimeKeysAndReplacesTheSignedAndLastResortKeys(Storage storage) {
    DeviceAddress device = registeredDevice(storage);
    PreKeys.Counts registered = storage.keys().counts(device);
    PreKeys.Upload rotated = keys(500, 2, 1);

    storage.keys().upload(device, rotated);

    assertThat(storage.keys().counts(device))
        .isEqualTo(new PreKeys.Counts(registered.preKeys() + 2, registered.kyberPreKeys() + 1));
    PreKeys.Bundle bundle = takeUntilExhausted(storage, device);
    assertThat(bundle.signedPreKey()).usingRecursiveComparison().isEqualTo(rotated.signedPreKey());
    assertThat(bundle.kyberPreKey()).usingRecursiveComparison().isEqualTo(rotated.kyberLastResort());
  }

  @StorageTest
  void anUploadOfOneTimeKeysOnlyKeepsTheSignedKeys(Storage storage) {
    PreKeys.Upload original = keys(10, 0, 0);
    DeviceAddress device = deviceWith(storage, original);

    storage.keys().upload(device, oneTimeOnly(700, 1, 1));

    PreKeys.Bundle bundle = takeUntilExhausted(storage, device);
    assertThat(bundle.signedPreKey()).usingRecursiveComparison().isEqualTo(original.signedPreKey());
    assertThat(bundle.kyberPreKey()).usingRecursiveComparison().isEqualTo(original.kyberLastResort());
  }

  @StorageTest
  void thereIsNoBundleForADeviceThatIsUnknownOrHasNoSignedKeys(Storage storage) {
    UUID id = register(storage, PHONE);
    DeviceAddress unknown = new DeviceAddress(id, 7);
    DeviceRecord bare =
        StoreFixtures.primary(UUID.randomUUID(), StoreFixtures.credentialHash(), 1_000);
    UUID bareAccount =
        storage.accounts().registerPrimary("+15550002002", bare, null, UnlinkReason.REREGISTERED_VALUE).account().id();

    assertThat(storage.keys().take(unknown)).isEmpty();
    assertThat(storage.keys().counts(unknown)).isEqualTo(new PreKeys.Counts(0, 0));
    assertThat(storage.keys().take(new DeviceAddress(bareAccount, 1))).isEmpty();
  }

  @StorageTest
  void oneDevicesKeysAreNeverHandedOutForAnother(Storage storage) {
    UUID id = register(storage, PHONE);
    DeviceAddress primary = new DeviceAddress(id, 1);
    DeviceAddress companion = link(storage, id).address();
    PreKeys.Counts companionBefore = storage.keys().counts(companion);

    PreKeys.Bundle bundle = storage.keys().take(primary).orElseThrow();

    assertThat(bundle.device().address()).isEqualTo(primary);
    assertThat(storage.keys().counts(companion)).isEqualTo(companionBefore);
  }

  @StorageTest
  void concurrentFetchesNeverShareAOneTimeKey(Storage storage) throws Exception {
    DeviceAddress device = registeredDevice(storage);
    storage.keys().upload(device, oneTimeOnly(1_000, 60, 60));
    int available = storage.keys().counts(device).preKeys();

    List<Future<PreKeys.Bundle>> takes = new ArrayList<>();
    try (ExecutorService threads = Executors.newFixedThreadPool(6)) {
      for (int i = 0; i < available; i++) {
        takes.add(threads.submit(() -> storage.keys().take(device).orElseThrow()));
      }
    }
    Set<Integer> handedOut = new HashSet<>();
    for (Future<PreKeys.Bundle> take : takes) {
      assertThat(handedOut.add(take.get().preKey().id())).as("handed out twice").isTrue();
    }
    assertThat(storage.keys().counts(device).preKeys()).isZero();
  }

  private static DeviceAddress registeredDevice(Storage storage) {
    return new DeviceAddress(register(storage, PHONE), 1);
  }

  /** A primary whose only keys are {@code upload}. */
  private static DeviceAddress deviceWith(Storage storage, PreKeys.Upload upload) {
    DeviceRecord primary = StoreFixtures.primary(UUID.randomUUID(), StoreFixtures.credentialHash(), 1_000);
    return new DeviceAddress(
        storage.accounts().registerPrimary(PHONE, primary, upload, UnlinkReason.REREGISTERED_VALUE).account().id(), 1);
  }

  /** The bundle served once every one-time key is gone: only the long-lived keys are left in it. */
  private static PreKeys.Bundle takeUntilExhausted(Storage storage, DeviceAddress device) {
    PreKeys.Counts left = storage.keys().counts(device);
    for (int i = Math.max(left.preKeys(), left.kyberPreKeys()); i > 0; i--) {
      storage.keys().take(device).orElseThrow();
    }
    return storage.keys().take(device).orElseThrow();
  }
}
