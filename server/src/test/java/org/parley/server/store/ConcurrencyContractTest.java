package org.parley.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parley.server.store.StoreFixtures.envelope;
import static org.parley.server.store.StoreFixtures.link;
import static org.parley.server.store.StoreFixtures.register;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;

class ConcurrencyContractTest {
  private static final int THREADS = 8;
  private static final int APPENDS_PER_THREAD = 40;

  /**
   * Many senders at once (DESIGN.md §5: "stored durably, then answered"): every append's future
   * completes only once its envelopes can be read back, and nothing is lost or duplicated.
   */
  @StorageTest
  void concurrentAppendsAreReadableWhenAnsweredAndNoneIsLost(Storage storage) throws Exception {
    UUID account = register(storage, "+15550006001");
    List<DeviceAddress> devices =
        List.of(new DeviceAddress(account, 1), link(storage, account).address(), link(storage, account).address());
    Map<DeviceAddress, Set<ByteString>> sent = new ConcurrentHashMap<>();
    devices.forEach(device -> sent.put(device, ConcurrentHashMap.newKeySet()));

    List<Future<?>> senders = new ArrayList<>();
    try (ExecutorService threads = Executors.newFixedThreadPool(THREADS)) {
      for (int t = 0; t < THREADS; t++) {
        senders.add(threads.submit(() -> send(storage, devices, sent)));
      }
    }
    for (Future<?> sender : senders) {
      sender.get();
    }

    for (DeviceAddress device : devices) {
      List<QueuedEnvelope> queue = storage.queues().read(device, 0, Integer.MAX_VALUE);
      assertThat(queue).extracting(QueuedEnvelope::seq).isSorted().doesNotHaveDuplicates();
      assertThat(queue).extracting(e -> ByteString.copyFrom(e.guid()))
          .containsExactlyInAnyOrderElementsOf(sent.get(device));
      assertThat(storage.queues().length(device)).isEqualTo(queue.size());
    }
  }

  private static void send(Storage storage, List<DeviceAddress> devices, Map<DeviceAddress, Set<ByteString>> sent) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    List<CompletableFuture<List<QueuedEnvelope>>> answers = new ArrayList<>();
    for (int i = 0; i < APPENDS_PER_THREAD; i++) {
      List<NewEnvelope> batch = new ArrayList<>();
      for (int n = 1 + random.nextInt(3); n > 0; n--) {
        batch.add(envelope(devices.get(random.nextInt(devices.size())), 1_000 + i));
      }
      // Checked inside the completion itself: the very moment "stored" is said, a reader sees it.
      answers.add(storage.queues().append(batch).thenApply(stored -> readable(storage, stored)));
    }
    Set<Long> positions = new HashSet<>();
    for (CompletableFuture<List<QueuedEnvelope>> answer : answers) {
      for (QueuedEnvelope stored : answer.join()) {
        assertThat(positions.add(stored.seq())).isTrue();
        sent.get(stored.destination()).add(ByteString.copyFrom(stored.guid()));
      }
    }
  }

  private static List<QueuedEnvelope> readable(Storage storage, List<QueuedEnvelope> stored) {
    for (QueuedEnvelope envelope : stored) {
      assertThat(storage.queues().read(envelope.destination(), envelope.seq() - 1, 1))
          .as("envelope %d readable when its append completes", envelope.seq())
          .singleElement()
          .satisfies(read -> assertThat(read.guid()).isEqualTo(envelope.guid()));
    }
    return stored;
  }
}
