package org.parley.server.messages;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.parley.protocol.wire.Envelope;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.DeviceRecord;
import org.parley.server.store.NewEnvelope;
import org.parley.server.store.QueuedEnvelope;
import org.parley.server.store.StoreFixtures;
import org.parley.server.store.postgres.PostgresStorage;
import org.parley.server.store.postgres.StoreUrl;
import org.parley.server.testing.TestPostgres;
import org.parley.server.transport.TestSessions;

/**
 * PostgreSQL hands out queue positions at INSERT and commits land in any order: an envelope that
 * another node committed late may sit below the last position the pump pushed. That node's wake
 * must still bring it to the connected device (before the fix the wake read on "after the last
 * position pushed" and the envelope stayed queued until the device reconnected).
 *
 * <p>Real PostgreSQL; the other node's transaction is held open on a connection of its own, so the
 * order of commits is fixed by the test, not by timing. The channel's event loop runs only when
 * the test says so and store reads run on the test's thread.
 */
class DeliveryPumpOutOfOrderCommitTest {
  private final TestPostgres.Schema schema = TestPostgres.createSchema("pump");
  private final PostgresStorage storage = new PostgresStorage(StoreUrl.parse(schema.storeUrl()));
  private final EmbeddedChannel channel = new EmbeddedChannel();

  @AfterEach
  void close() throws Exception {
    channel.finishAndReleaseAll();
    storage.close();
    schema.drop();
  }

  /** @param fromTheStart the wake names position 0 (-1 to read after): a store counting from 0 would. */
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void aWakeFromAnotherNodeDeliversAnEnvelopeCommittedBelowTheLastPositionPushed(boolean fromTheStart) throws Exception {
    DeviceRecord device = StoreFixtures.primary(UUID.randomUUID(), StoreFixtures.credentialHash(), 1_000);
    DeviceAddress address = device.address();
    DeliveryPump pump = pump(device, 16);

    try (Connection otherNode = DriverManager.getConnection(jdbcUrl())) {
      // The other node inserts first (the lower position) and has not committed yet ...
      otherNode.setAutoCommit(false);
      byte[] earlierGuid = StoreFixtures.bytes(16);
      long earlierSeq = insert(otherNode, address, earlierGuid);

      // ... while this node commits a later position and pushes it to the connected device.
      NewEnvelope later = envelope(address, StoreFixtures.bytes(16));
      QueuedEnvelope laterStored = storage.queues().append(List.of(later)).join().getFirst();
      assertThat(laterStored.seq()).isGreaterThan(earlierSeq);
      pump.start();
      pump.offer(laterStored);
      channel.runPendingTasks();
      assertThat(pushedGuids()).containsExactly(ByteString.copyFrom(later.guid()));

      // Now the other node commits and wakes this device's pump, saying where it committed.
      otherNode.commit();
      pump.wake(fromTheStart ? -1 : earlierSeq - 1);
      channel.runPendingTasks();

      assertThat(pushedGuids())
          .as("the envelope committed at position %d, below the %d pushed", earlierSeq, laterStored.seq())
          .containsExactly(ByteString.copyFrom(earlierGuid));
    }
  }

  @Test
  void aWakeAboveTheLastPositionPushedStillPushesWhatWaitsBelowIt() throws Exception {
    DeviceRecord device = StoreFixtures.primary(UUID.randomUUID(), StoreFixtures.credentialHash(), 1_000);
    DeviceAddress address = device.address();
    DeliveryPump pump = pump(device, 1); // one envelope in flight: the second waits in the store
    List<QueuedEnvelope> waiting =
        storage.queues().append(List.of(envelope(address, StoreFixtures.bytes(16)), envelope(address, StoreFixtures.bytes(16)))).join();
    pump.start();
    channel.runPendingTasks();
    assertThat(pushedGuids()).containsExactly(ByteString.copyFrom(waiting.get(0).guid()));

    // Another node commits a third and says where; the second still waits below that position.
    QueuedEnvelope third = storage.queues().append(List.of(envelope(address, StoreFixtures.bytes(16)))).join().getFirst();
    pump.wake(third.seq() - 1);
    channel.runPendingTasks();
    List<ByteString> pushed = new ArrayList<>();
    for (QueuedEnvelope acked : List.of(waiting.get(0), waiting.get(1))) {
      pump.ack(List.of(ByteString.copyFrom(acked.guid())));
      channel.runPendingTasks();
      pushed.addAll(pushedGuids());
    }

    assertThat(pushed)
        .as("the envelope below the wake's position, then the one it named")
        .containsExactly(ByteString.copyFrom(waiting.get(1).guid()), ByteString.copyFrom(third.guid()));
  }

  /** A pump on the test's channel whose store reads run on the test's thread. */
  private DeliveryPump pump(DeviceRecord device, int window) {
    return new DeliveryPump(
        TestSessions.device(channel, device, Runnable::run),
        storage.queues(),
        Runnable::run,
        window,
        new SimpleMeterRegistry().counter("delivered"));
  }

  /** Inserts as the store does (the position from the sequence), inside the caller's transaction. */
  private static long insert(Connection c, DeviceAddress to, byte[] guid) throws Exception {
    try (PreparedStatement insert =
        c.prepareStatement(
            "INSERT INTO queue (account_id, device_id, guid, server_ts, envelope) VALUES (?, ?, ?, ?, ?)"
                + " RETURNING seq")) {
      insert.setObject(1, to.account());
      insert.setInt(2, to.device());
      insert.setBytes(3, guid);
      insert.setLong(4, 2_000);
      insert.setBytes(5, envelope(to, guid).envelope());
      try (ResultSet rs = insert.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private static NewEnvelope envelope(DeviceAddress to, byte[] guid) {
    byte[] body =
        Envelope.newBuilder()
            .setGuid(ByteString.copyFrom(guid))
            .setDestinationDevice(to.device())
            .setServerTimestamp(2_000)
            .build()
            .toByteArray();
    return new NewEnvelope(to, guid, 2_000, body);
  }

  /** The guids of the envelopes pushed since the last call, in order. */
  private List<ByteString> pushedGuids() throws Exception {
    return PushedGuids.take(channel);
  }

  private String jdbcUrl() {
    return "jdbc:postgresql://" + System.getenv().getOrDefault("PARLEY_TEST_POSTGRES", "127.0.0.1:5432") + "/"
        + schema.database() + "?user=postgres&currentSchema=" + schema.name();
  }
}
