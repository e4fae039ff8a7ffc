package org.parley.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.parley.client.Accounts.messages;
import static org.parley.client.Accounts.receive;
import static org.parley.client.Accounts.register;

import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.events.MessageEvent;
import org.parley.client.net.ServerException;
import org.parley.protocol.wire.Status;
import org.parley.server.Limits;
import org.parley.server.testing.TestServer;

/** DESIGN.md §11: bounded queues and envelopes, each refusal with a clear code and sentence. */
class LimitsIT {
  static final String ALICE = "+15550001501";
  static final String BOB = "+15550001502";

  @TempDir Path dir;

  @Test
  void aFullQueueAndAnOversizeMessageAreRefusedWithAReasonAndNothingElseBreaks() {
    Limits small = Limits.defaults().toBuilder().maxQueueLength(3).maxEnvelopeBytes(2048).build();
    try (TestServer server = TestServer.start(dir.resolve("server"), Clock.systemUTC(), b -> b.limits(small));
        Device alice = register(server, dir.resolve("alice"), ALICE)) {
      register(server, dir.resolve("bob"), BOB).close();
      for (int i = 1; i <= 3; i++) {
        alice.sendText(BOB, "waiting " + i);
      }
      assertThatThrownBy(() -> alice.sendText(BOB, "one too many"))
          .isInstanceOfSatisfying(ServerException.class, e -> {
            assertThat(e.status()).isEqualTo(Status.QUEUE_FULL);
            assertThat(e.retryAfter()).as("when to try again").contains(java.time.Duration.ofMinutes(15));
          })
          .hasMessageContaining("messages waiting; it must come online first")
          .hasMessageContaining("try again in 15 min");

      try (Device bob = Device.open(dir.resolve("bob"), ClientConfig.defaults())) {
        assertThat(messages(receive(bob))).extracting(MessageEvent::body)
            .containsExactly("waiting 1", "waiting 2", "waiting 3");
        assertThatThrownBy(() -> bob.sendText(ALICE, "x".repeat(4000)))
            .isInstanceOfSatisfying(ServerException.class, e -> assertThat(e.status()).isEqualTo(Status.TOO_LARGE))
            .hasMessageContaining("at most 2048 bytes");
        bob.sendText(ALICE, "short is fine");
      }
      assertThat(messages(receive(alice))).extracting(MessageEvent::body).containsExactly("short is fine");
    }
  }
}
