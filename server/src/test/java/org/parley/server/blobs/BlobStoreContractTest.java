package org.parley.server.blobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.parley.server.blobs.BlobStore.Blob;
import org.parley.server.blobs.BlobStore.Kind;
import org.parley.server.store.DeviceAddress;

/** What every {@link BlobStore} promises; a clustered store passes the same suite. */
class BlobStoreContractTest {
  static final long LATER = 4_000_000_000_000L;

  final UUID alice = UUID.randomUUID();
  final UUID bob = UUID.randomUUID();
  final byte[] bytes = random(100_000);

  @BlobStoreTest
  void aReservedBlobIsFoundAndCountsTowardsItsAccountsUsage(BlobStoreBackend backend) throws Exception {
    BlobStore store = backend.open();
    Blob blob = store.reserve(alice, 2, Kind.ATTACHMENT, 1000, LATER);

    assertThat(BlobIds.valid(blob.id())).isTrue();
    assertThat(blob).isEqualTo(new Blob(blob.id(), alice, 2, Kind.ATTACHMENT, 1000, 0, LATER, false));
    assertThat(store.find(blob.id())).contains(blob);
    assertThat(store.find(BlobIds.random())).isEmpty();
    assertThat(store.find("../index.db")).isEmpty();

    store.reserve(alice, 1, Kind.HISTORY, 500, LATER);
    assertThat(store.usage(alice)).isEqualTo(new BlobStore.Usage(2, 1500));
    assertThat(store.usage(bob)).isEqualTo(new BlobStore.Usage(0, 0));
    assertThat(store.reserve(alice, 1, Kind.HISTORY, 1, LATER).id()).isNotEqualTo(blob.id());
  }

  @BlobStoreTest
  void anUploadedBlobIsReadFromAnyOffset(BlobStoreBackend backend) throws Exception {
    BlobStore store = backend.open();
    Blob blob = store.reserve(alice, 1, Kind.HISTORY, bytes.length, LATER);
    try (BlobStore.Upload upload = store.upload(blob.id(), 0)) {
      write(upload, bytes, 0, bytes.length);
      assertThat(upload.written()).isEqualTo(bytes.length);
      upload.complete(LATER + 5);
    }
    Blob stored = store.find(blob.id()).orElseThrow();
    assertThat(stored.uploaded()).isTrue();
    assertThat(stored.received()).isEqualTo(bytes.length);
    assertThat(stored.expiresAt()).isEqualTo(LATER + 5);
    try (InputStream in = store.open(blob.id(), 0)) {
      assertThat(in.readAllBytes()).isEqualTo(bytes);
    }
    try (InputStream in = store.open(blob.id(), 99_000)) {
      assertThat(in.readAllBytes()).isEqualTo(Arrays.copyOfRange(bytes, 99_000, bytes.length));
    }
    assertThatThrownBy(() -> store.upload(blob.id(), 0)).isInstanceOf(BlobStore.StateException.class);
  }

  @BlobStoreTest
  void whatArrivedBeforeAnUploadEndedStaysAndTheNextContinuesAfterIt(BlobStoreBackend backend) throws Exception {
    BlobStore store = backend.open();
    Blob blob = store.reserve(alice, 1, Kind.ATTACHMENT, bytes.length, LATER);
    try (BlobStore.Upload upload = store.upload(blob.id(), 0)) {
      write(upload, bytes, 0, 40_000);
    }
    assertThat(store.find(blob.id()).orElseThrow().received()).isEqualTo(40_000);
    assertThatThrownBy(() -> store.upload(blob.id(), 30_000))
        .isInstanceOf(BlobStore.StateException.class)
        .hasMessageContaining("40000");

    // held across a restart of the store
    store.close();
    BlobStore reopened = backend.open();
    assertThat(reopened.find(blob.id()).orElseThrow().received()).isEqualTo(40_000);
    try (BlobStore.Upload upload = reopened.upload(blob.id(), 40_000)) {
      write(upload, bytes, 40_000, bytes.length - 40_000);
      upload.complete(LATER);
    }
    try (InputStream in = reopened.open(blob.id(), 0)) {
      assertThat(in.readAllBytes()).isEqualTo(bytes);
    }
  }

  @BlobStoreTest
  void anUploadMayStartOverAtZero(BlobStoreBackend backend) throws Exception {
    BlobStore store = backend.open();
    Blob blob = store.reserve(alice, 1, Kind.HISTORY, bytes.length, LATER);
    try (BlobStore.Upload upload = store.upload(blob.id(), 0)) {
      write(upload, random(70_000), 0, 70_000);
    }
    try (BlobStore.Upload upload = store.upload(blob.id(), 0)) {
      assertThat(upload.written()).isZero();
      write(upload, bytes, 0, bytes.length);
      upload.complete(LATER);
    }
    try (InputStream in = store.open(blob.id(), 0)) {
      assertThat(in.readAllBytes()).isEqualTo(bytes);
    }
  }

  @BlobStoreTest
  void aNewerUploadSupersedesOneStillOpen(BlobStoreBackend backend) throws Exception {
    BlobStore store = backend.open();
    Blob blob = store.reserve(alice, 1, Kind.ATTACHMENT, bytes.length, LATER);
    BlobStore.Upload stale = store.upload(blob.id(), 0);
    write(stale, bytes, 0, 10_000);
    long held = store.find(blob.id()).orElseThrow().received();

    try (BlobStore.Upload fresh = store.upload(blob.id(), held)) {
      assertThatThrownBy(() -> write(stale, bytes, 10_000, 10)).isInstanceOf(BlobStore.StateException.class);
      stale.close();
      write(fresh, bytes, (int) held, bytes.length - (int) held);
      fresh.complete(LATER);
    }
    try (InputStream in = store.open(blob.id(), 0)) {
      assertThat(in.readAllBytes()).isEqualTo(bytes);
    }
  }

  @BlobStoreTest
  void anUploadNeverHoldsMoreOrCompletesWithLessThanReserved(BlobStoreBackend backend) throws Exception {
    BlobStore store = backend.open();
    Blob blob = store.reserve(alice, 1, Kind.ATTACHMENT, 1000, LATER);
    try (BlobStore.Upload upload = store.upload(blob.id(), 0)) {
      write(upload, bytes, 0, 999);
      assertThatThrownBy(() -> upload.complete(LATER)).isInstanceOf(BlobStore.StateException.class);
    }
    try (BlobStore.Upload upload = store.upload(blob.id(), 999)) {
      assertThatThrownBy(() -> write(upload, bytes, 0, 2)).isInstanceOf(BlobStore.StateException.class);
    }
    assertThat(store.find(blob.id()).orElseThrow().uploaded()).isFalse();
    assertThatThrownBy(() -> store.upload(BlobIds.random(), 0)).isInstanceOf(BlobStore.StateException.class);
  }

  @BlobStoreTest
  void anAttachmentKnowsWhoItWasSentToAndWhoHasFetchedIt(BlobStoreBackend backend) throws Exception {
    BlobStore store = backend.open();
    Blob blob = uploaded(store, Kind.ATTACHMENT);
    DeviceAddress bobPhone = new DeviceAddress(bob, 1);
    DeviceAddress bobLaptop = new DeviceAddress(bob, 2);
    DeviceAddress aliceLaptop = new DeviceAddress(alice, 2);
    assertThat(store.addressedToAnyone(blob.id())).isFalse();
    assertThat(store.address(blob.id(), List.of(bobPhone, bobLaptop, aliceLaptop), 0, LATER)).isTrue();
    assertThat(store.addressedToAnyone(blob.id())).isTrue();
    assertThat(store.address(blob.id(), List.of(bobPhone), 0, LATER)).isTrue();

    assertThat(store.addressed(blob.id(), bob)).isTrue();
    assertThat(store.addressed(blob.id(), UUID.randomUUID())).isFalse();
    assertThat(store.fetched(blob.id(), bobPhone)).isEqualTo(2);
    assertThat(store.fetched(blob.id(), bobPhone)).isEqualTo(2);
    assertThat(store.fetched(blob.id(), new DeviceAddress(bob, 3))).isEqualTo(-1);
    assertThat(store.fetched(blob.id(), aliceLaptop)).isEqualTo(1);
    assertThat(store.fetched(blob.id(), bobLaptop)).isZero();

    assertThat(store.delete(blob.id())).isTrue();
    assertThat(store.addressed(blob.id(), bob)).isFalse();
    assertThat(store.addressedToAnyone(blob.id())).isFalse();
    assertThat(store.delete(blob.id())).isFalse();
    assertThat(store.find(blob.id())).isEmpty();
  }

  @BlobStoreTest
  void expiryMovesOnlyForwardAndExpiredBlobsGo(BlobStoreBackend backend) throws Exception {
    BlobStore store = backend.open();
    Blob early = store.reserve(alice, 1, Kind.HISTORY, 10, 1000);
    Blob late = uploaded(store, Kind.ATTACHMENT);

    store.expireBy(late.id(), 5000);
    store.expireBy(late.id(), 9000);
    assertThat(store.find(late.id()).orElseThrow().expiresAt()).isEqualTo(5000);

    assertThat(store.expire(999)).isZero();
    assertThat(store.expire(1000)).isEqualTo(1);
    assertThat(store.find(early.id())).isEmpty();
    assertThat(store.find(late.id())).isPresent();
    assertThat(store.expire(5000)).isEqualTo(1);
    assertThat(store.find(late.id())).isEmpty();
    assertThatThrownBy(() -> store.open(late.id(), 0)).isInstanceOf(java.io.IOException.class);
    assertThat(store.usage(alice)).isEqualTo(new BlobStore.Usage(0, 0));
  }

  @BlobStoreTest
  void addressingAnAttachmentKeepsItAtLeastUntilTheTimeGivenNeverShorter(BlobStoreBackend backend) throws Exception {
    BlobStore store = backend.open();
    Blob blob = store.reserve(alice, 1, Kind.ATTACHMENT, bytes.length, 2000);
    try (BlobStore.Upload upload = store.upload(blob.id(), 0)) {
      write(upload, bytes, 0, bytes.length);
      upload.complete(3000);
    }
    assertThat(store.address(blob.id(), List.of(new DeviceAddress(bob, 1)), 2999, 8000)).isTrue();
    assertThat(store.find(blob.id()).orElseThrow().expiresAt()).isEqualTo(8000);
    assertThat(store.address(blob.id(), List.of(new DeviceAddress(bob, 2)), 2999, 5000)).isTrue();
    assertThat(store.find(blob.id()).orElseThrow().expiresAt()).as("never brought forward").isEqualTo(8000);
    assertThat(store.expire(7999)).isZero();
    assertThat(store.addressed(blob.id(), bob)).isTrue();

    // expired at the time given (not swept yet), or not uploaded: nothing added, nothing kept
    Blob late = store.reserve(alice, 1, Kind.ATTACHMENT, bytes.length, 2000);
    try (BlobStore.Upload upload = store.upload(late.id(), 0)) {
      write(upload, bytes, 0, bytes.length);
      upload.complete(3000);
    }
    assertThat(store.address(late.id(), List.of(new DeviceAddress(bob, 1)), 3000, 9000)).isFalse();
    assertThat(store.find(late.id()).orElseThrow().expiresAt()).isEqualTo(3000);
    assertThat(store.addressed(late.id(), bob)).isFalse();
    Blob unfinished = store.reserve(alice, 1, Kind.ATTACHMENT, 10, 9000);
    assertThat(store.address(unfinished.id(), List.of(new DeviceAddress(bob, 1)), 0, 9000)).isFalse();
    assertThat(store.addressed(unfinished.id(), bob)).isFalse();
  }

  @BlobStoreTest
  void aReservationIsAPromiseOfSpace(BlobStoreBackend backend) throws Exception {
    BlobStore store = backend.open();
    long before = store.freeSpace();
    if (before == Long.MAX_VALUE) {
      return; // this store cannot tell
    }
    long gib = 1024L * 1024 * 1024;
    store.reserve(alice, 1, Kind.ATTACHMENT, gib, LATER);
    // others may write to the same disk meanwhile: ask only for most of the promise
    assertThat(store.freeSpace()).isLessThan(before - gib / 2);
  }

  private Blob uploaded(BlobStore store, Kind kind) throws Exception {
    Blob blob = store.reserve(alice, 1, kind, bytes.length, LATER);
    try (BlobStore.Upload upload = store.upload(blob.id(), 0)) {
      write(upload, bytes, 0, bytes.length);
      upload.complete(LATER);
    }
    return store.find(blob.id()).orElseThrow();
  }

  private static void write(BlobStore.Upload upload, byte[] bytes, int from, int length) throws Exception {
    // in pieces, as the network brings them
    for (int at = from; at < from + length; ) {
      int n = Math.min(from + length - at, 8192);
      upload.write(ByteBuffer.wrap(bytes, at, n));
      at += n;
    }
  }

  private static byte[] random(int n) {
    byte[] bytes = new byte[n];
    new Random(n).nextBytes(bytes);
    return bytes;
  }
}
