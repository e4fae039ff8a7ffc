package org.parley.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parley.client.Accounts.messages;
import static org.parley.client.Accounts.receive;
import static org.parley.client.Accounts.register;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.events.MessageEvent;
import org.parley.server.testing.MutableClock;
import org.parley.server.testing.TestServer;

/** DESIGN.md §6: an envelope nobody takes expires after the queue TTL; a younger one stays. */
class QueueTtlIT {
  @TempDir Path dir;

  @Test
  void undeliveredEnvelopesExpireAfterTheQueueTtl() {
    MutableClock clock = MutableClock.now();
    try (TestServer server = TestServer.start(dir.resolve("server"), clock, b -> b.queueTtl(Duration.ofDays(2)));
        Device alice = register(server, dir.resolve("alice"), "+15550001301")) {
      register(server, dir.resolve("bob"), "+15550001302").close();
      alice.sendText("+15550001302", "too old by the time bob looks");
      clock.advance(Duration.ofDays(1));
      alice.sendText("+15550001302", "still fresh");
      clock.advance(Duration.ofDays(1).plusMinutes(1));

      assertThat(server.server().expireQueues()).isEqualTo(1);

      try (Device bob = Device.open(dir.resolve("bob"), ClientConfig.defaults())) {
        assertThat(messages(receive(bob))).extracting(MessageEvent::body).containsExactly("still fresh");
      }
    }
  }
}
