package org.parley.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parley.client.Accounts.messages;
import static org.parley.client.Accounts.receive;
import static org.parley.client.Accounts.register;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.MessageEvent;
import org.parley.client.events.ReceiptEvent;
import org.parley.server.testing.TestServer;
import org.parley.server.testing.WithTestServer;

@WithTestServer
class MessagingIT {
  static final String ALICE = "+15550000001";
  static final String BOB = "+15550000002";

  @TempDir Path dir;
  TestServer server;

  @BeforeEach
  void useServer(TestServer server) {
    this.server = server;
  }

  @Test
  void aTextReachesTheContactAndBothHistoriesShowIt() {
    try (Device alice = register(server, dir.resolve("alice"), ALICE);
        Device bob = register(server, dir.resolve("bob"), BOB)) {
      Device.SendResult sent = alice.sendText(BOB, "hello bob");

      List<MessageEvent> received = messages(receive(bob));
      assertThat(received).singleElement().satisfies(m -> {
        assertThat(m.type()).isEqualTo("message");
        assertThat(m.body()).isEqualTo("hello bob");
        assertThat(m.from()).isEqualTo(ALICE);
        assertThat(m.fromDevice()).isEqualTo(1);
        assertThat(m.id()).isEqualTo(sent.messageId());
      });

      assertThat(bob.history(ALICE, null, 10))
          .extracting(MessageEvent::type, MessageEvent::body, MessageEvent::from)
          .containsExactly(org.assertj.core.groups.Tuple.tuple("message", "hello bob", ALICE));
      assertThat(alice.history(BOB, null, 10))
          .extracting(MessageEvent::type, MessageEvent::body, MessageEvent::to)
          .containsExactly(org.assertj.core.groups.Tuple.tuple("sent", "hello bob", BOB));

      List<ClientEvent> receipts = receive(alice);
      assertThat(receipts).filteredOn(ReceiptEvent.class::isInstance).singleElement()
          .satisfies(e -> assertThat(((ReceiptEvent) e).messageIds()).containsExactly(sent.messageId()));
      assertThat(alice.history(BOB, null, 10)).singleElement()
          .satisfies(m -> assertThat(m.status()).isEqualTo("delivered"));
    }
  }

  @Test
  void theSessionCarriesOnBothWays() {
    try (Device alice = register(server, dir.resolve("alice"), ALICE);
        Device bob = register(server, dir.resolve("bob"), BOB)) {
      alice.sendText(BOB, "one");
      assertThat(messages(receive(bob))).extracting(MessageEvent::body).containsExactly("one");
      bob.sendText(ALICE, "two");
      bob.sendText(ALICE, "three");
      assertThat(messages(receive(alice))).extracting(MessageEvent::body).containsExactly("two", "three");
      alice.sendText(BOB, "four");
      assertThat(messages(receive(bob))).extracting(MessageEvent::body).containsExactly("four");
    }
  }
}
