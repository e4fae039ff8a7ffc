package org.parley.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parley.client.Accounts.messages;
import static org.parley.client.Accounts.receive;
import static org.parley.client.Accounts.register;

import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.MessageEvent;
import org.parley.client.events.WarningEvent;
import org.parley.client.keys.PreKeys;
import org.parley.client.store.ProfileStore;
import org.parley.client.store.SignalStore;
import org.parley.protocol.wire.CiphertextType;
import org.parley.protocol.wire.Envelope;
import org.parley.server.store.DeviceAddress;
import org.parley.server.testing.MutableClock;
import org.parley.server.testing.TestServer;
import org.parley.server.testing.WithTestServer;
import org.signal.libsignal.protocol.message.PreKeySignalMessage;

/**
 * Key hygiene: a device replaces its signed EC and Kyber last-resort pre-keys about weekly, keeps the
 * replaced ones while messages encrypted to them may still be queued, and then deletes them.
 */
@WithTestServer
class KeyRotationIT {
  static final String ALICE = "+15550001001";
  static final String BOB = "+15550001002";

  @TempDir Path dir;
  TestServer server;

  @BeforeEach
  void useServer(TestServer server) {
    this.server = server;
  }

  @Test
  void signedPreKeysRotateWeeklyAndAMessageToTheReplacedKeyStillDecryptsUntilItsGraceEnds() throws Exception {
    MutableClock bobsClock = MutableClock.now();
    ClientConfig bobsConfig = new ClientConfig(bobsClock, null);
    Path bobProfile = dir.resolve("bob");
    int first;
    try (Device alice = register(server, dir.resolve("alice"), ALICE)) {
      try (Device bob = register(server, bobProfile, BOB, bobsConfig)) {
        first = servedSignedPreKey(bob);
        // Alice starts her session on the key Bob has now; she keeps using it until Bob answers.
        alice.sendText(BOB, "before the rotation");
      }

      bobsClock.advance(Duration.ofDays(6));
      reconnect(bobProfile, bobsConfig);
      assertThat(servedSignedPreKey(bobProfile, bobsConfig)).as("not due before a week").isEqualTo(first);

      bobsClock.advance(Duration.ofDays(2));
      reconnect(bobProfile, bobsConfig);
      int second = servedSignedPreKey(bobProfile, bobsConfig);
      assertThat(second).as("replaced after a week").isNotEqualTo(first);

      alice.sendText(BOB, "after the rotation, still to the old key");
      assertThat(queuedFor(BOB)).as("both messages start a session on the replaced key")
          .allSatisfy(e -> {
            assertThat(e.getType()).isEqualTo(CiphertextType.PREKEY);
            assertThat(new PreKeySignalMessage(e.getContent().toByteArray()).getSignedPreKeyId()).isEqualTo(first);
          })
          .hasSize(2);
    }
    try (Device bob = Device.open(bobProfile, bobsConfig)) {
      List<ClientEvent> events = receive(bob);
      assertThat(events).filteredOn(WarningEvent.class::isInstance).isEmpty();
      assertThat(messages(events)).extracting(MessageEvent::body)
          .containsExactly("before the rotation", "after the rotation, still to the old key");
    }
    assertThat(held(bobProfile, first)).as("kept during the grace period").isTrue();

    bobsClock.advance(PreKeys.KEEP_REPLACED.plusDays(1));
    reconnect(bobProfile, bobsConfig);
    assertThat(held(bobProfile, first)).as("deleted once the grace period is over").isFalse();
    assertThat(servedSignedPreKey(bobProfile, bobsConfig)).isNotEqualTo(first);
  }

  /** Opens the profile, connects (which runs the rotation check) and closes it (which waits for it). */
  private static void reconnect(Path profile, ClientConfig config) {
    try (Device device = Device.open(profile, config)) {
      device.online();
    }
  }

  private int servedSignedPreKey(Path profile, ClientConfig config) {
    try (Device device = Device.open(profile, config)) {
      return servedSignedPreKey(device);
    }
  }

  /** The signed pre-key the server hands to whoever starts a session with the device now. */
  private int servedSignedPreKey(Device device) {
    DeviceAddress address = new DeviceAddress(device.local().account(), device.local().deviceId());
    return server.server().storage().keys().take(address).orElseThrow().signedPreKey().id();
  }

  private List<Envelope> queuedFor(String phone) {
    var account = server.server().storage().accounts().byPhone(phone).orElseThrow().id();
    return server.server().storage().queues().read(new DeviceAddress(account, 1), 0, 100).stream()
        .map(q -> {
          try {
            return Envelope.parseFrom(q.envelope());
          } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
          }
        })
        .toList();
  }

  /** Whether the (closed) profile still holds the private half of a signed pre-key. */
  private static boolean held(Path profile, int signedPreKeyId) {
    try (ProfileStore store = ProfileStore.open(profile)) {
      SignalStore signal = new SignalStore(store, java.time.Clock.systemUTC());
      return signal.containsSignedPreKey(signedPreKeyId);
    }
  }
}
