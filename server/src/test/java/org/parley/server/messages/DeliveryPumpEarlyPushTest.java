package org.parley.server.messages;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.protocol.wire.Envelope;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.DeviceRecord;
import org.parley.server.store.NewEnvelope;
import org.parley.server.store.QueuedEnvelope;
import org.parley.server.store.Queues;
import org.parley.server.store.StoreFixtures;
import org.parley.server.store.sqlite.SqliteStorage;
import org.parley.server.transport.TestSessions;

/**
 * An envelope pushed to its connected device before its commit: whichever comes first, the
 * device's ack or the writer, decides whether it is written at all; either way it ends up neither
 * lost from the queue nor left in it, and it is pushed once.
 *
 * <p>Real SQLite store; the channel's event loop runs only when the test says so and store reads
 * run on the test's thread, so every interleaving below is fixed by the test, not by timing.
 */
class DeliveryPumpEarlyPushTest {
  @TempDir Path data;
  private SqliteStorage storage;
  private Queues queues;
  private final EmbeddedChannel channel = new EmbeddedChannel();
  private DeviceAddress address;
  private DeliveryPump pump;

  @BeforeEach
  void open() throws IOException {
    storage = new SqliteStorage(Files.createDirectories(data.resolve("server")));
    queues = storage.queues();
    DeviceRecord device = StoreFixtures.primary(UUID.randomUUID(), StoreFixtures.credentialHash(), 1_000);
    address = device.address();
    pump =
        new DeliveryPump(
            TestSessions.device(channel, device, Runnable::run),
            queues,
            Runnable::run,
            16,
            new SimpleMeterRegistry().counter("delivered"));
  }

  @AfterEach
  void close() {
    channel.finishAndReleaseAll();
    storage.close();
  }

  @Test
  void anEnvelopeAckedBeforeTheWriterReachesItIsNeverWritten() throws Exception {
    startCaughtUp();
    NewEnvelope envelope = envelope();

    offerEarly(envelope);
    assertThat(pushedGuids()).containsExactly(guid(envelope));
    assertThat(envelope.claim().awaitsAck()).as("pushed: the store may hold it for its ack").isTrue();
    pump.ack(List.of(guid(envelope)));
    channel.runPendingTasks();

    assertThat(queues.append(List.of(envelope)).join()).as("written").isEmpty();
    assertThat(queues.read(address, 0, 10)).isEmpty();
    assertThat(queues.length(address)).isZero();
    assertThat(pump.settled()).isTrue();
  }

  @Test
  void anEnvelopeAckedAfterTheWriterClaimedItIsDeletedOnceItsCommitSaysWhereItIs() throws Exception {
    startCaughtUp();
    NewEnvelope envelope = envelope();
    pump.offerEarly(envelope);
    channel.runPendingTasks();
    assertThat(pushedGuids()).containsExactly(guid(envelope));

    QueuedEnvelope stored = queues.append(List.of(envelope)).join().getFirst(); // the writer won
    pump.ack(List.of(guid(envelope))); // the ack arrives before the commit's offer
    channel.runPendingTasks();
    assertThat(pump.settled()).isTrue();
    pump.offer(stored);
    channel.runPendingTasks();

    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(queues.read(address, 0, 10)).isEmpty());
    assertThat(queues.length(address)).isZero();
    assertThat(pushedGuids()).as("pushed again").isEmpty();
  }

  @Test
  void anEnvelopeCommittedBeforeItsAckIsDeletedByTheAck() throws Exception {
    startCaughtUp();
    NewEnvelope envelope = envelope();
    pump.offerEarly(envelope);
    channel.runPendingTasks();

    pump.offer(queues.append(List.of(envelope)).join().getFirst());
    channel.runPendingTasks();
    assertThat(pushedGuids()).containsExactly(guid(envelope));
    assertThat(pump.settled()).as("waits for its ack").isFalse();
    pump.ack(List.of(guid(envelope)));
    channel.runPendingTasks();

    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(queues.read(address, 0, 10)).isEmpty());
    assertThat(pump.settled()).isTrue();
  }

  @Test
  void aReadOfTheQueueDoesNotPushAgainWhatWentOutBeforeItsCommit() throws Exception {
    startCaughtUp();
    NewEnvelope early = envelope();
    pump.offerEarly(early);
    channel.runPendingTasks();
    QueuedEnvelope earlyStored = queues.append(List.of(early)).join().getFirst();

    // A wake from another node makes the pump read the whole queue again: it finds the early
    // envelope committed before its commit's offer arrived.
    pump.wake(0);
    channel.runPendingTasks();
    QueuedEnvelope other = queues.append(List.of(envelope())).join().getFirst();
    pump.offer(other);
    pump.offer(earlyStored);
    channel.runPendingTasks();

    assertThat(pushedGuids()).containsExactly(guid(early), ByteString.copyFrom(other.guid()));
    pump.ack(List.of(guid(early), ByteString.copyFrom(other.guid())));
    channel.runPendingTasks();
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(queues.read(address, 0, 10)).isEmpty());
  }

  @Test
  void aPumpNotCaughtUpLeavesTheEnvelopeToItsCommit() throws Exception {
    NewEnvelope envelope = envelope();
    envelope.claim().offeredEarly(); // as Presence does before handing it over
    pump.offerEarly(envelope); // before the first read of the queue: not caught up
    channel.runPendingTasks();
    assertThat(pushedGuids()).isEmpty();
    assertThat(envelope.claim().awaitsAck()).as("the store need not hold it for an ack").isFalse();

    QueuedEnvelope stored = queues.append(List.of(envelope)).join().getFirst();
    pump.start();
    pump.offer(stored);
    channel.runPendingTasks();

    assertThat(pushedGuids()).containsExactly(guid(envelope));
  }

  @Test
  void aFailedCommitLeavesNothingWaitingForAnAck() throws Exception {
    startCaughtUp();
    NewEnvelope envelope = envelope();
    pump.offerEarly(envelope);
    channel.runPendingTasks();
    assertThat(pump.settled()).isFalse();

    pump.abandon(envelope);
    channel.runPendingTasks();

    assertThat(pump.settled()).isTrue();
  }

  @Test
  // Found by review (revA): the read position once moved past F to E while the window was full.
  void anEnvelopeCommittedBelowAnEarlyOneWhileTheWindowIsFullIsStillPushed() throws Exception {
    startCaughtUp();
    List<ByteString> first = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      QueuedEnvelope q = queues.append(List.of(envelope())).join().getFirst();
      pump.offer(q);
      first.add(ByteString.copyFrom(q.guid()));
    }
    channel.runPendingTasks();
    assertThat(pushedGuids()).hasSize(16); // window full
    NewEnvelope f = envelope();
    pump.offerEarly(f); // sender X: window full, left to its commit
    channel.runPendingTasks();
    pump.ack(List.of(first.get(0))); // one slot frees
    channel.runPendingTasks();
    NewEnvelope e = envelope();
    pump.offerEarly(e); // sender Y: pushed early into the free slot
    channel.runPendingTasks();
    assertThat(pushedGuids()).containsExactly(guid(e));
    // the writer runs X's request before Y's (it was queued first)
    QueuedEnvelope fStored = queues.append(List.of(f)).join().getFirst();
    QueuedEnvelope eStored = queues.append(List.of(e)).join().getFirst();
    assertThat(fStored.seq()).isLessThan(eStored.seq());
    pump.offer(fStored);
    pump.offer(eStored);
    channel.runPendingTasks();
    // the device acks everything it holds
    List<ByteString> held = new ArrayList<>(first.subList(1, 16));
    held.add(guid(e));
    pump.ack(held);
    channel.runPendingTasks();
    List<ByteString> later = new ArrayList<>();
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      channel.runPendingTasks();
      later.addAll(pushedGuids());
      assertThat(queues.length(address)).isEqualTo(1); // only F is left in the queue
    });
    // a later envelope still flows, F does not
    QueuedEnvelope g = queues.append(List.of(envelope())).join().getFirst();
    pump.offer(g);
    channel.runPendingTasks();
    later.addAll(pushedGuids());
    assertThat(later).as("F, committed and queued, pushed on this connection").contains(guid(f));
  }

  @Test
  void anEarlyEnvelopeAckedAfterItsClaimAndFoundByARescanIsNotPushedAgain() throws Exception {
    startCaughtUp();
    NewEnvelope e = envelope();
    pump.offerEarly(e);
    channel.runPendingTasks();
    assertThat(pushedGuids()).containsExactly(guid(e));
    QueuedEnvelope stored = queues.append(List.of(e)).join().getFirst(); // the writer won
    pump.ack(List.of(guid(e)));
    channel.runPendingTasks();
    pump.wake(0); // another node: rescan finds it and places it (delete)
    channel.runPendingTasks();
    pump.offer(stored); // its own commit's offer arrives afterwards
    channel.runPendingTasks();
    assertThat(pushedGuids()).as("pushed again").isEmpty();
  }

  @Test
  void aDeviceThatAcksSlowerThanTheStoreWaitsIsStillPushedEarlyButNotWaitedFor() throws Exception {
    long[] now = {0};
    pump = pumpReading(now);
    startCaughtUp();
    NewEnvelope first = envelope();
    offerEarly(first);
    assertThat(first.claim().awaitsAck()).as("no ack timed yet: worth waiting").isTrue();
    now[0] += 200_000_000; // its ack comes 200 ms later, as over a slow link
    pump.ack(List.of(guid(first)));
    channel.runPendingTasks();

    NewEnvelope second = envelope();
    offerEarly(second);

    assertThat(pushedGuids()).containsExactly(guid(first), guid(second));
    assertThat(second.claim().awaitsAck()).as("the store would only delay \"sent\"").isFalse();
    assertThat(queues.append(List.of(second)).join()).as("written, the ack still to come").hasSize(1);
  }

  @Test
  void aDeviceWhoseAckComesAfterTheCommitIsNotHeldNextTime() throws Exception {
    long[] now = {0};
    pump = pumpReading(now);
    startCaughtUp();
    NewEnvelope first = envelope();
    offerEarly(first);
    pump.offer(queues.append(List.of(first)).join().getFirst()); // written after the hold, placed
    channel.runPendingTasks();
    now[0] += 200_000_000;
    pump.ack(List.of(guid(first)));
    channel.runPendingTasks();

    NewEnvelope second = envelope();
    offerEarly(second);
    assertThat(second.claim().awaitsAck()).as("a device that acks in 200 ms is not waited for").isFalse();
  }

  /** A pump for the same device whose push-to-ack times are read off {@code now[0]} (nanoseconds). */
  private DeliveryPump pumpReading(long[] now) {
    return new DeliveryPump(
        TestSessions.device(channel, StoreFixtures.primary(address.account(), StoreFixtures.credentialHash(), 1_000), Runnable::run),
        queues, Runnable::run, 16, new SimpleMeterRegistry().counter("delivered"), () -> now[0]);
  }

  /** Offers an envelope before its commit, as Presence does (its claim first), and runs the pump. */
  private void offerEarly(NewEnvelope envelope) {
    envelope.claim().offeredEarly();
    pump.offerEarly(envelope);
    channel.runPendingTasks();
  }

  /** Reads the empty queue, so live envelopes may go out at once. */
  private void startCaughtUp() throws Exception {
    pump.start();
    channel.runPendingTasks();
    assertThat(pushedGuids()).isEmpty();
  }

  private NewEnvelope envelope() {
    byte[] guid = StoreFixtures.bytes(16);
    byte[] body =
        Envelope.newBuilder()
            .setGuid(ByteString.copyFrom(guid))
            .setDestinationDevice(address.device())
            .setServerTimestamp(2_000)
            .build()
            .toByteArray();
    return new NewEnvelope(address, guid, 2_000, body);
  }

  private static ByteString guid(NewEnvelope envelope) {
    return ByteString.copyFrom(envelope.guid());
  }

  /** The guids of the envelopes pushed since the last call, in order. */
  private List<ByteString> pushedGuids() throws Exception {
    return PushedGuids.take(channel);
  }
}
