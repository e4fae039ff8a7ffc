package org.parley.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.parley.client.Accounts.messages;
import static org.parley.client.Accounts.receive;
import static org.parley.client.Accounts.register;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.events.MessageEvent;
import org.parley.client.messaging.ReceiveHooks;
import org.parley.protocol.wire.Envelope;
import org.parley.server.testing.TestServer;
import org.parley.server.testing.WithTestServer;

/**
 * DESIGN.md §6: a device that dies while taking a message in loses nothing and shows nothing twice,
 * and its sessions keep working in both directions.
 */
@WithTestServer
class ReceiverCrashIT {
  static final String ALICE = "+15550000101";
  static final String BOB = "+15550000102";

  @TempDir Path dir;
  TestServer server;

  @BeforeEach
  void useServer(TestServer server) {
    this.server = server;
  }

  /** Thrown by a hook after it dropped the connection, to stop the receive loop where a crash would. */
  static final class Crash extends RuntimeException {}

  @Test
  void diedAfterCommitBeforeAck_messageComesAgainButAppearsOnce() {
    try (Device alice = register(server, dir.resolve("alice"), ALICE)) {
      register(server, dir.resolve("bob"), BOB).close();
      alice.sendText(BOB, "first words");

      try (Device bob = Device.open(dir.resolve("bob"), ClientConfig.defaults())) {
        bob.hooks(crashAt(bob, true));
        assertThatThrownBy(() -> bob.receive(Duration.ofSeconds(5), e -> {})).isInstanceOf(Crash.class);
      }
      try (Device bob = Device.open(dir.resolve("bob"), ClientConfig.defaults())) {
        // The redelivered envelope is a known guid: acked, not shown again.
        assertThat(messages(receive(bob))).isEmpty();
        assertThat(bob.history(ALICE, null, 10)).extracting(MessageEvent::body).containsExactly("first words");

        bob.sendText(ALICE, "reply");
        assertThat(messages(receive(alice))).extracting(MessageEvent::body).containsExactly("reply");
        alice.sendText(BOB, "and again");
        assertThat(messages(receive(bob))).extracting(MessageEvent::body).containsExactly("and again");
        // The event log, which the daemon streams from, holds each message once too.
        assertThat(loggedBodies(bob)).containsExactly("first words", "reply", "and again");
      }
    }
  }

  @Test
  void diedAfterDecryptBeforeCommit_messageIsDecryptedAgainFromTheUnchangedSession() {
    try (Device alice = register(server, dir.resolve("alice"), ALICE)) {
      register(server, dir.resolve("bob"), BOB).close();
      alice.sendText(BOB, "opening");
      alice.sendText(BOB, "second");

      try (Device bob = Device.open(dir.resolve("bob"), ClientConfig.defaults())) {
        bob.hooks(crashAt(bob, false));
        assertThatThrownBy(() -> bob.receive(Duration.ofSeconds(5), e -> {})).isInstanceOf(Crash.class);
        assertThat(bob.history(ALICE, null, 10)).isEmpty();
      }
      try (Device bob = Device.open(dir.resolve("bob"), ClientConfig.defaults())) {
        assertThat(messages(receive(bob))).extracting(MessageEvent::body).containsExactly("opening", "second");
        assertThat(loggedBodies(bob)).containsExactly("opening", "second");
        bob.sendText(ALICE, "got both");
        assertThat(messages(receive(alice))).extracting(MessageEvent::body).containsExactly("got both");
      }
    }
  }

  private static java.util.List<String> loggedBodies(Device device) {
    return device.events().after(0, 100).stream()
        .map(e -> e.event())
        .filter(e -> e instanceof MessageEvent)
        .map(e -> ((MessageEvent) e).body())
        .toList();
  }

  private static ReceiveHooks crashAt(Device device, boolean afterCommit) {
    return new ReceiveHooks() {
      @Override
      public void decrypted(Envelope envelope) {
        if (!afterCommit) {
          device.abortConnection();
          throw new Crash();
        }
      }

      @Override
      public void committed(Envelope envelope) {
        if (afterCommit) {
          device.abortConnection();
          throw new Crash();
        }
      }
    };
  }
}
