package org.parley.server.transport;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.protocol.wire.Ack;
import org.parley.protocol.wire.GetKeys;
import org.parley.protocol.wire.Push;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.Status;
import org.parley.server.Limits;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestDevice;
import org.parley.server.testing.TestServer;

/**
 * The server holds a connection's pushes until its client has spoken first (Session#push), and
 * holds only so many: over real sockets, a client that stays silent while more come is closed with
 * a reason it can act on (never left open with pushes dropped), and loses nothing — on its next
 * connection the envelope sent meanwhile comes again and the key warning is said anew. Under the
 * bound, everything held comes once the client speaks.
 *
 * <p>The pushes here are Bob's "pre-keys low" warnings: the server sends one each time someone takes
 * one of his keys while his supply is under the threshold, which this server sets above any supply.
 */
class HeldPushesIT {
  @TempDir Path dir;
  TestServer server;
  TestDevice alice;
  TestDevice bob;

  @BeforeEach
  void start() {
    server = TestServer.start(dir.resolve("server"), Clock.systemUTC(), options -> options
        .rateLimits(false) // the fetches below are not the abuse under test
        .limits(Limits.defaults().toBuilder().lowPreKeyThreshold(Integer.MAX_VALUE).build()));
    alice = TestDevice.registerPrimary(server, "+15550009101");
    bob = TestDevice.registerPrimary(server, "+15550009102");
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void aSilentClientPastTheBoundIsClosedWithAReasonAndGetsEverythingOnItsNextConnection() {
    try (RawClient silentBob = bob.connectSilently(server); RawClient sender = alice.connect(server)) {
      assertThat(sender.call(bob.opaqueMessage()).getStatus()).isEqualTo(Status.OK);
      int fetches = 0;
      while (silentBob.isOpen() && fetches < 4 * Session.MAX_HELD) {
        takeOneOfBobsKeys(sender);
        fetches++;
      }

      RawClient.Closed closed = silentBob.awaitClose();
      assertThat(closed.status()).as("1013, try again later: %s", closed).isEqualTo(1013);
      assertThat(closed.reason()).isEqualTo(Session.HELD_TOO_MANY).contains("reconnect", "nothing was lost");
      assertThat(fetches).as("closed once the bound was passed, not before").isGreaterThanOrEqualTo(Session.MAX_HELD - 1);
    }

    try (RawClient bobAgain = bob.connect(server)) {
      List<Push> pushes = new ArrayList<>();
      do {
        pushes.add(bobAgain.nextPush());
      } while (!pushes.getLast().hasQueueEmpty());
      List<Push> envelopes = pushes.stream().filter(Push::hasEnvelope).toList();
      assertThat(envelopes).as("the envelope sent while he was silent, still stored").singleElement()
          .satisfies(p -> assertThat(p.getEnvelope().getContent().toStringUtf8()).isEqualTo("opaque"));
      // acked now, so it is not owed again
      bobAgain.send(Request.newBuilder().setAck(Ack.newBuilder().addGuids(envelopes.getFirst().getEnvelope().getGuid())));
      if (pushes.stream().noneMatch(Push::hasPreKeysLow)) {
        assertThat(bobAgain.nextPush().hasPreKeysLow()).as("the warning, said anew on connecting").isTrue();
      }
    }
  }

  @Test
  void underTheBoundEverythingHeldComesOnceTheClientSpeaks() {
    int fetches = Session.MAX_HELD / 2;
    try (RawClient silentBob = bob.connectSilently(server); RawClient sender = alice.connect(server)) {
      for (int i = 0; i < fetches; i++) {
        takeOneOfBobsKeys(sender);
      }
      assertThat(silentBob.isOpen()).isTrue();
      silentBob.hello();
      // one warning on connecting, then one a fetch (the queue's "empty" may come between them)
      int warnings = 0;
      while (warnings < fetches + 1) {
        if (silentBob.nextPush().hasPreKeysLow()) {
          warnings++;
        }
      }
      assertThat(silentBob.isOpen()).isTrue();
    }
  }

  private void takeOneOfBobsKeys(RawClient sender) {
    assertThat(sender.call(Request.newBuilder().setGetKeys(GetKeys.newBuilder().setPhone(bob.phone()))).getStatus())
        .isEqualTo(Status.OK);
  }
}
