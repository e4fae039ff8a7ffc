package org.parley.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parley.server.store.StoreFixtures.envelope;
import static org.parley.server.store.StoreFixtures.register;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Several relay nodes on one database (DESIGN.md §10): each opens the store on its own. A node that
 * pushes a device's queue remembers how far it pushed and reads on from there; that is only safe if
 * a device's positions grow in commit order whichever node committed.
 */
class MultiNodeContractTest {
  private static final int WRITERS_PER_NODE = 3;
  private static final int APPENDS_PER_WRITER = 60;

  @StorageTest
  void aReaderFollowingPositionsMissesNothingThatTwoNodesAppendAtOnce(StorageBackend backend) throws Exception {
    Storage nodeA = backend.open();
    Storage nodeB = backend.open();
    UUID account = register(nodeA, "+15550007001");
    DeviceAddress device = new DeviceAddress(account, 1);
    DeviceAddress other = new DeviceAddress(register(nodeB, "+15550007002"), 1);
    Set<ByteString> appended = ConcurrentHashMap.newKeySet();
    Set<ByteString> seen = new HashSet<>();
    AtomicBoolean writing = new AtomicBoolean(true);

    List<Future<?>> writers = new ArrayList<>();
    try (ExecutorService threads = Executors.newFixedThreadPool(2 * WRITERS_PER_NODE)) {
      for (Storage node : List.of(nodeA, nodeB)) {
        for (int w = 0; w < WRITERS_PER_NODE; w++) {
          writers.add(threads.submit(() -> append(node, device, other, appended)));
        }
      }
      long cursor = 0;
      while (writing.get()) {
        cursor = follow(nodeA, device, cursor, seen);
        writing.set(writers.stream().anyMatch(f -> !f.isDone()));
      }
      for (Future<?> writer : writers) {
        writer.get();
      }
      follow(nodeB, device, cursor, seen);
    }

    assertThat(seen).as("every envelope found by reading on from the last position").isEqualTo(appended);
    assertThat(nodeB.queues().read(device, 0, Integer.MAX_VALUE)).hasSize(appended.size());
  }

  private static long follow(Storage node, DeviceAddress device, long cursor, Set<ByteString> seen) {
    for (QueuedEnvelope e : node.queues().read(device, cursor, 1000)) {
      seen.add(ByteString.copyFrom(e.guid()));
      cursor = e.seq();
    }
    return cursor;
  }

  private static Void append(Storage node, DeviceAddress device, DeviceAddress other, Set<ByteString> appended) {
    List<CompletableFuture<List<QueuedEnvelope>>> answers = new ArrayList<>();
    for (int i = 0; i < APPENDS_PER_WRITER; i++) {
      // Another device's envelope in the same batch: locks over several queues at once.
      answers.add(node.queues().append(List.of(envelope(other, i), envelope(device, i))));
      if (answers.size() >= 4) {
        record(answers.removeFirst().join(), device, appended);
      }
    }
    answers.forEach(answer -> record(answer.join(), device, appended));
    return null;
  }

  private static void record(List<QueuedEnvelope> stored, DeviceAddress device, Set<ByteString> appended) {
    stored.stream()
        .filter(e -> e.destination().equals(device))
        .forEach(e -> appended.add(ByteString.copyFrom(e.guid())));
  }
}
