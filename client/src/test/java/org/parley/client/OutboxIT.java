package org.parley.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parley.client.Accounts.messages;
import static org.parley.client.Accounts.receive;
import static org.parley.client.Accounts.register;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CopyOnWriteArrayList;
import java.sql.PreparedStatement;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.events.MessageEvent;
import org.parley.client.store.ProfileStore;
import org.parley.protocol.wire.DataMessage;
import org.parley.server.store.sqlite.SqliteStorage;
import org.parley.server.testing.TestServer;
import org.parley.server.testing.WithTestServer;

/**
 * The outbox (DESIGN.md §13): what a device writes while the server is away is kept, shown as
 * pending, and sent in order when it is back; a retry carries the same message id and the receiver
 * shows it once.
 */
@WithTestServer
class OutboxIT {
  static final String ALICE = "+15550001301";
  static final String BOB = "+15550001302";

  @TempDir Path dir;
  TestServer server;

  @BeforeEach
  void useServer(TestServer server) {
    this.server = server;
  }

  @Test
  void messagesWrittenWhileTheServerIsAwayAreKeptThenSentInOrder() {
    try (Device alice = register(server, dir.resolve("alice"), ALICE);
        Device bob = register(server, dir.resolve("bob"), BOB)) {
      alice.sendText(BOB, "before");
      int port = server.port();
      server.close();

      Device.SendResult first = alice.sendText(BOB, "while away 1");
      Device.SendResult second = alice.sendText(BOB, "while away 2");
      assertThat(first.pending()).isTrue();
      assertThat(second.pending()).isTrue();
      assertThat(alice.waitingToSend()).isEqualTo(2);
      assertThat(alice.history(BOB, null, 10)).extracting(MessageEvent::status).containsExactly("sent", "pending", "pending");

      server.restart(port);
      // The next send finds the others waiting: they go first, in order, then it.
      Device.SendResult third = alice.sendText(BOB, "back again");
      assertThat(third.pending()).isFalse();
      assertThat(alice.waitingToSend()).isZero();
      assertThat(alice.history(BOB, null, 10)).extracting(MessageEvent::status).containsOnly("sent");

      assertThat(messages(receive(bob))).extracting(MessageEvent::body)
          .containsExactly("before", "while away 1", "while away 2", "back again");
      // The event stream shows each kept message pending, then sent, under the same id.
      List<MessageEvent> own =
          alice.events().after(0, 100).stream()
              .map(e -> e.event())
              .filter(MessageEvent.class::isInstance)
              .map(MessageEvent.class::cast)
              .filter(m -> m.id().equals(first.messageId()))
              .toList();
      assertThat(own).extracting(MessageEvent::status).containsExactly("pending", "sent");
    }
  }

  @Test
  void aRetryAfterTheServerAlreadyStoredTheMessageIsShownOnce() throws Exception {
    String id;
    try (Device alice = register(server, dir.resolve("alice"), ALICE);
        Device bob = register(server, dir.resolve("bob"), BOB)) {
      id = alice.sendText(BOB, "only once").messageId();
      assertThat(messages(receive(bob))).extracting(MessageEvent::body).containsExactly("only once");
      long timestamp = alice.history(BOB, null, 1).getFirst().timestamp();
      alice.close();
      // Alice died after the server stored it but before she struck it from her outbox: it is still
      // there on restart, with its id.
      try (ProfileStore profile = ProfileStore.open(dir.resolve("alice"))) {
        profile.transaction(c -> {
          try (PreparedStatement insert =
              c.prepareStatement("INSERT INTO outbox (message_id, recipient, data, created_at) VALUES (?,?,?,?)")) {
            insert.setString(1, id);
            insert.setString(2, BOB);
            insert.setBytes(3, DataMessage.newBuilder().setId(id).setBody("only once").setTimestamp(timestamp).build().toByteArray());
            insert.setLong(4, timestamp);
            return insert.executeUpdate();
          }
        });
      }
      try (Device again = Device.open(dir.resolve("alice"), ClientConfig.defaults())) {
        assertThat(again.flushOutbox()).isEqualTo(1);
        assertThat(again.waitingToSend()).isZero();
      }
      assertThat(messages(receive(bob))).as("the second copy is dropped").isEmpty();
      assertThat(bob.history(ALICE, null, 10)).extracting(MessageEvent::body).containsExactly("only once");
    }
  }

  @Test
  void aSendTheServerFailedToStoreAfterAConnectedDeviceHadItIsSentAgainUnderItsIdAndShownOnce() throws Exception {
    try (Device alice = register(server, dir.resolve("alice"), ALICE);
        Device bob = register(server, dir.resolve("bob"), BOB)) {
      // Bob's laptop is linked and then offline: its envelope has to be written. (An envelope that
      // only Bob's connected phone is owed is acked during the writer's hold and never needs the
      // store, so the operator's lock below would not make that send fail.)
      Accounts.linkByUri(server, bob, dir.resolve("bob-laptop"), "laptop").close();
      alice.sendText(BOB, "hello");
      assertThat(messages(receive(bob))).extracting(MessageEvent::body).containsExactly("hello");
      List<String> live = new CopyOnWriteArrayList<>();
      bob.onEvent(e -> {
        if (e instanceof MessageEvent m && ALICE.equals(m.from())) {
          live.add(m.body());
        }
      });
      bob.startReceiving();
      alice.startReceiving();
      // Bob's device is connected and caught up: the next envelope to it goes out before its commit.
      alice.sendText(BOB, "warm");
      await().atMost(Duration.ofSeconds(30)).until(() -> live.contains("warm"));
      // Alice's own receive loop is past its first drain (which would send what the outbox keeps).
      await().atMost(Duration.ofSeconds(30)).until(() -> alice.receivingState().name().equals("connected"));

      // The operator holds the store's write lock: the server hands the envelope to Bob's connected
      // device at once, but the commit of the laptop's fails after the busy timeout, and Alice hears
      // a failure.
      Device.SendResult kept;
      try (Connection operator =
              DriverManager.getConnection("jdbc:sqlite:" + server.data().resolve(SqliteStorage.FILE_NAME));
          Statement lock = operator.createStatement()) {
        lock.execute("BEGIN EXCLUSIVE");
        kept = alice.sendText(BOB, "stored or not");
        lock.execute("ROLLBACK");
      }
      assertThat(live).as("Bob's device had it before the commit failed").contains("stored or not");
      assertThat(kept.pending()).as("kept, not thrown: typed again it would be a second message").isTrue();
      assertThat(alice.waitingToSend()).isEqualTo(1);

      // Alice's connection lives on: her receive loop sends what the outbox keeps without a new message.
      await().atMost(Duration.ofSeconds(60)).until(() -> alice.waitingToSend() == 0);
      assertThat(alice.history(BOB, null, 10)).extracting(MessageEvent::status).doesNotContain("pending", "failed");
      alice.sendText(BOB, "after");
      await().atMost(Duration.ofSeconds(30)).until(() -> live.contains("after"));
      assertThat(live).as("the copy sent again under the same id is dropped")
          .containsExactly("warm", "stored or not", "after");
      assertThat(bob.history(ALICE, null, 10)).extracting(MessageEvent::body)
          .containsExactly("hello", "warm", "stored or not", "after");
    }
  }
}
