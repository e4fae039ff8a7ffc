package org.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.protocol.wire.CreateGroup;
import org.parley.protocol.wire.GetDevices;
import org.parley.protocol.wire.GetKeys;
import org.parley.protocol.wire.GetKeysBatch;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.Status;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestDevice;

/**
 * Issue 11, enumeration and quotas: an account looking up phone numbers is stopped after its burst
 * (hits and misses cost the same), fetches that find nothing still count, and group creation has a
 * budget per hour. Another account's lookups and sends are untouched.
 */
class EnumerationAbuseIT {
  @TempDir Path dir;

  @Test
  void lookupsMissedFetchesAndGroupCreationsAreCountedPerAccount() throws Exception {
    try (ServerProcess server =
        ServerProcess.start(
            dir.resolve("server"), "--rate-key-fetches", "30,1/1s", "--rate-group-creations", "3,3/1h")) {
      TestDevice attacker = Stranger.register(server, "+15550140001");
      TestDevice alice = Stranger.register(server, "+15550140002");
      TestDevice bob = Stranger.register(server, "+15550140003");
      try (RawClient device = Stranger.connect(server, attacker);
          RawClient aliceDevice = Stranger.connect(server, alice);
          RawClient bobDevice = Stranger.connect(server, bob)) {
        int answered = 0;
        Response refused = null;
        for (int i = 0; i < 150 && refused == null; i++) {
          // Mostly numbers nobody has, and a real one among them: the same cost either way.
          String phone = i == 50 ? bob.phone() : String.format("+1555099%04d", i);
          Response looked = device.call(Request.newBuilder().setGetDevices(GetDevices.newBuilder().setPhone(phone)));
          if (looked.getStatus() == Status.RATE_LIMITED) {
            refused = looked;
          } else {
            assertThat(looked.getStatus()).isIn(Status.OK, Status.NOT_FOUND);
            answered++;
          }
        }
        assertThat(answered).as("lookups answered before the limit").isBetween(100, 110);
        assertThat(refused.getMessage()).contains("too many accounts looked up by phone number; try again in");
        assertThat(refused.getRetryAfterMs()).isBetween(1L, 1000L);
        System.out.printf("enumeration: %d of 150 number lookups answered, then %s%n", answered, refused.getMessage());

        // Another account is not affected: it looks up and sends as usual.
        Response found = aliceDevice.call(Request.newBuilder().setGetDevices(GetDevices.newBuilder().setPhone(bob.phone())));
        assertThat(found.getStatus()).isEqualTo(Status.OK);
        assertThat(aliceDevice.call(Stranger.message(bob, 100)).getStatus()).isEqualTo(Status.OK);
        Stranger.awaitEnvelope(bobDevice, "alice's message during the enumeration");

        // A batch fetch is no way around it: each number in it is a lookup, and a batch that passes
        // the burst is refused whole (no bundle of it handed out).
        TestDevice batcher = Stranger.register(server, "+15550140004");
        try (RawClient batcherDevice = Stranger.connect(server, batcher)) {
          GetKeysBatch.Builder batch = GetKeysBatch.newBuilder();
          for (int i = 0; i < 150; i++) {
            batch.addTargets(GetKeys.newBuilder().setPhone(bob.phone()));
          }
          Response batched = batcherDevice.call(Request.newBuilder().setGetKeysBatch(batch));
          assertThat(batched.getStatus()).isEqualTo(Status.RATE_LIMITED);
          assertThat(batched.getMessage()).contains("too many accounts looked up by phone number");
          assertThat(batched.hasKeysBatch()).isFalse();
        }

        // Fetches for a device that does not exist count like any other.
        int fetched = 0;
        Response fetchRefused = null;
        for (int i = 0; i < 60 && fetchRefused == null; i++) {
          Response keys =
              device.call(
                  Request.newBuilder()
                      .setGetKeys(GetKeys.newBuilder().setAccountId(alice.account().toString()).addDeviceIds(99)));
          if (keys.getStatus() == Status.RATE_LIMITED) {
            fetchRefused = keys;
          } else {
            fetched++;
          }
        }
        assertThat(fetched).isBetween(30, 40);
        assertThat(fetchRefused.getMessage()).contains("too many pre-key bundles fetched");

        // Groups: three creations an hour here, counted before the signed change is even read (so
        // unsigned junk costs the same); the fourth waits. Another account is not affected.
        for (int i = 0; i < 3; i++) {
          assertThat(aliceDevice.call(group()).getStatus()).isNotEqualTo(Status.RATE_LIMITED);
        }
        Response fourth = aliceDevice.call(group());
        assertThat(fourth.getStatus()).isEqualTo(Status.RATE_LIMITED);
        assertThat(fourth.getMessage()).contains("too many groups created");
        assertThat(Duration.ofMillis(fourth.getRetryAfterMs())).isBetween(Duration.ofMinutes(10), Duration.ofMinutes(21));
        assertThat(bobDevice.call(group()).getStatus()).as("another account").isNotEqualTo(Status.RATE_LIMITED);
      }
    }
  }

  private static Request.Builder group() {
    return Request.newBuilder().setCreateGroup(CreateGroup.getDefaultInstance());
  }
}
