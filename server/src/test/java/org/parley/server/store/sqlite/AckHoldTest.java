package org.parley.server.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.NewEnvelope;
import org.parley.server.store.QueuedEnvelope;
import org.parley.server.store.StoreFixtures;

/**
 * The writer holds an append of envelopes pushed before their commit, waiting for their acks. The
 * hold may spare the disk work; it must never make "sent" (the append's future) come before an
 * envelope is either on disk or acked by its device. Real SQLite, a hold far longer than the test,
 * so every step is the test's, not the clock's.
 */
class AckHoldTest {
  private static final Duration LONG_HOLD = Duration.ofMinutes(5);

  @TempDir Path data;
  private SqliteStorage storage;
  private final DeviceAddress pushedTo = new DeviceAddress(UUID.randomUUID(), 1);
  private final DeviceAddress offline = new DeviceAddress(UUID.randomUUID(), 1);

  @AfterEach
  void close() {
    if (storage != null) {
      storage.close();
    }
  }

  @Test
  void anEnvelopeAckedDuringTheHoldIsNeverWrittenAndTheOthersOfItsSendAre() {
    storage = new SqliteStorage(data, LONG_HOLD);
    NewEnvelope pushed = pushedEarly(StoreFixtures.envelope(pushedTo, 1_000));
    NewEnvelope waiting = StoreFixtures.envelope(offline, 1_000);

    CompletableFuture<List<QueuedEnvelope>> sent = storage.queues().append(List.of(pushed, waiting));
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> !sent.isDone());
    assertThat(pushed.claim().ackedBeforeWrite()).as("the device's ack wins").isTrue();

    // Nothing left to wait for: the hold ends long before its five minutes.
    List<QueuedEnvelope> stored = sent.orTimeout(10, TimeUnit.SECONDS).join();
    assertThat(stored).extracting(QueuedEnvelope::destination).containsExactly(offline);
    assertThat(storage.queues().read(pushedTo, 0, 10)).isEmpty();
    assertThat(storage.queues().read(offline, 0, 10)).hasSize(1);
  }

  @Test
  void aSendWhoseEveryEnvelopeIsAckedDuringTheHoldCompletesAndWritesNothing() {
    storage = new SqliteStorage(data, LONG_HOLD);
    NewEnvelope first = pushedEarly(StoreFixtures.envelope(pushedTo, 1_000));
    NewEnvelope second = pushedEarly(StoreFixtures.envelope(offline, 1_000));

    CompletableFuture<List<QueuedEnvelope>> sent = storage.queues().append(List.of(first, second));
    assertThat(first.claim().ackedBeforeWrite()).isTrue();
    assertThat(second.claim().ackedBeforeWrite()).isTrue();

    assertThat(sent.orTimeout(10, TimeUnit.SECONDS).join()).isEmpty();
    assertThat(storage.queues().totalLength()).isZero();
    // The writer goes on with work that does write.
    NewEnvelope later = StoreFixtures.envelope(offline, 2_000);
    assertThat(storage.queues().append(List.of(later)).orTimeout(10, TimeUnit.SECONDS).join()).hasSize(1);
    assertThat(reopened().queues().read(offline, 0, 10)).extracting(QueuedEnvelope::guid).containsExactly(later.guid());
  }

  @Test
  void aHeldEnvelopeNeverAckedIsOnDiskBeforeTheSenderIsToldSent() {
    storage = new SqliteStorage(data, Duration.ofMillis(50));
    NewEnvelope pushed = pushedEarly(StoreFixtures.envelope(pushedTo, 1_000));

    List<QueuedEnvelope> stored = storage.queues().append(List.of(pushed)).join();

    assertThat(stored).extracting(QueuedEnvelope::destination).containsExactly(pushedTo);
    assertThat(pushed.claim().ackedBeforeWrite()).as("an ack now comes after the claim").isFalse();
    assertThat(reopened().queues().read(pushedTo, 0, 10))
        .extracting(QueuedEnvelope::guid)
        .containsExactly(pushed.guid());
  }

  @Test
  void aServerStoppingWhileItHoldsAnEnvelopeWritesItBeforeSayingSent() {
    storage = new SqliteStorage(data, LONG_HOLD);
    NewEnvelope pushed = pushedEarly(StoreFixtures.envelope(pushedTo, 1_000));
    CompletableFuture<List<QueuedEnvelope>> sent = storage.queues().append(List.of(pushed));
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> !sent.isDone());

    storage.close(); // a stop ends every hold: what is held is written, not dropped

    assertThat(sent.join()).extracting(QueuedEnvelope::destination).containsExactly(pushedTo);
    storage = new SqliteStorage(data, Duration.ZERO); // the file as a restarted server finds it
    assertThat(storage.queues().read(pushedTo, 0, 10))
        .extracting(QueuedEnvelope::guid)
        .containsExactly(pushed.guid());
  }

  @Test
  void anEnvelopeItsConnectionDidNotPushIsNotHeld() {
    storage = new SqliteStorage(data, LONG_HOLD);
    NewEnvelope declined = StoreFixtures.envelope(pushedTo, 1_000);
    declined.claim().offeredEarly();
    declined.claim().notPushedEarly(); // the pump was not caught up: no ack can come first

    assertThat(storage.queues().append(List.of(declined)).orTimeout(10, TimeUnit.SECONDS).join())
        .hasSize(1);
  }

  private static NewEnvelope pushedEarly(NewEnvelope envelope) {
    envelope.claim().offeredEarly();
    return envelope;
  }

  /** The file as a restarted server finds it. */
  private SqliteStorage reopened() {
    storage.close();
    storage = new SqliteStorage(data, Duration.ZERO);
    return storage;
  }
}
