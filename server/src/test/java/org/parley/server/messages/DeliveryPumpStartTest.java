package org.parley.server.messages;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.protocol.wire.Envelope;
import org.parley.server.store.DeviceRecord;
import org.parley.server.store.NewEnvelope;
import org.parley.server.store.QueuedEnvelope;
import org.parley.server.store.StoreFixtures;
import org.parley.server.store.sqlite.SqliteStorage;
import org.parley.server.transport.TestSessions;

/**
 * A connection's queue flows only once the pump is started, which the server does when the client
 * has spoken (its hello): some clients lose frames that come with the upgrade response. An envelope
 * committed in between must wait for that, not be read and pushed by its commit's offer. Real
 * SQLite; the channel's loop runs when the test says so and store reads run on the test's thread.
 */
class DeliveryPumpStartTest {
  @TempDir Path data;
  private final EmbeddedChannel channel = new EmbeddedChannel();
  private SqliteStorage storage;

  @AfterEach
  void close() {
    channel.finishAndReleaseAll();
    if (storage != null) {
      storage.close();
    }
  }

  @Test
  void anEnvelopeCommittedBeforeTheStartIsPushedOnlyOnceStarted() throws Exception {
    storage = new SqliteStorage(Files.createDirectories(data.resolve("server")));
    DeviceRecord device = StoreFixtures.primary(UUID.randomUUID(), StoreFixtures.credentialHash(), 1_000);
    DeliveryPump pump =
        new DeliveryPump(
            TestSessions.device(channel, device, Runnable::run), storage.queues(), Runnable::run, 16,
            new SimpleMeterRegistry().counter("delivered"));
    byte[] guid = StoreFixtures.bytes(16);
    byte[] body = Envelope.newBuilder().setGuid(ByteString.copyFrom(guid)).setDestinationDevice(device.deviceId()).build().toByteArray();
    QueuedEnvelope committed = storage.queues().append(List.of(new NewEnvelope(device.address(), guid, 2_000, body))).join().getFirst();

    pump.offer(committed);
    pump.writable();
    channel.runPendingTasks();
    assertThat(pushedGuids()).as("nothing before the client has spoken").isEmpty();

    pump.start();
    channel.runPendingTasks();
    assertThat(pushedGuids()).containsExactly(ByteString.copyFrom(guid));
  }

  /** The guids of the envelopes written since the last call, in order. */
  private List<ByteString> pushedGuids() throws Exception {
    return PushedGuids.take(channel);
  }
}
