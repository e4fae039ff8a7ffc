package org.parley.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.parley.client.Accounts.messages;
import static org.parley.client.Accounts.receive;
import static org.parley.client.Accounts.register;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.events.MessageEvent;
import org.parley.client.keys.PreKeys;
import org.parley.protocol.wire.GetKeyCounts;
import org.parley.protocol.wire.GetKeys;
import org.parley.protocol.wire.KeyCounts;
import org.parley.protocol.wire.Request;
import org.parley.server.testing.TestServer;
import org.parley.server.testing.WithTestServer;

/** Sessions still start once one-time pre-keys run out (last-resort keys), and the owner refills. */
@WithTestServer
class PreKeyExhaustionIT {
  static final String ALICE = "+15550000301";
  static final String BOB = "+15550000302";
  static final String CAROL = "+15550000303";

  @TempDir Path dir;

  @Test
  void newSessionsStartOnLastResortKeysAndTheOwnerRefills(TestServer server) {
    try (Device alice = register(server, dir.resolve("alice"), ALICE);
        Device carol = register(server, dir.resolve("carol"), CAROL)) {
      register(server, dir.resolve("bob"), BOB).close();
      // Someone drains Bob's one-time keys while Bob is away.
      for (int i = 0; i < PreKeys.BATCH; i++) {
        alice.online().call(Request.newBuilder().setGetKeys(GetKeys.newBuilder().setPhone(BOB)));
      }

      carol.sendText(BOB, "sent on a last-resort key");

      try (Device bob = Device.open(dir.resolve("bob"), ClientConfig.defaults())) {
        assertThat(messages(receive(bob))).extracting(MessageEvent::body).containsExactly("sent on a last-resort key");
        // Bob was told on connecting that his supply is low, and uploaded a new batch.
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
          KeyCounts counts =
              bob.online().call(Request.newBuilder().setGetKeyCounts(GetKeyCounts.getDefaultInstance())).getKeyCounts();
          assertThat(counts.getPreKeys()).isGreaterThanOrEqualTo(PreKeys.BATCH - 1);
          assertThat(counts.getKyberPreKeys()).isGreaterThanOrEqualTo(PreKeys.BATCH - 1);
        });
        bob.sendText(CAROL, "thanks");
        assertThat(messages(receive(carol))).extracting(MessageEvent::body).containsExactly("thanks");
      }
    }
  }
}
