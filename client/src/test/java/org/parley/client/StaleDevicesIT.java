package org.parley.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.parley.client.Accounts.messages;
import static org.parley.client.Accounts.receive;
import static org.parley.client.Accounts.register;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.IdentityChangedEvent;
import org.parley.client.events.MessageEvent;
import org.parley.client.events.UnlinkedEvent;
import org.parley.server.testing.TestServer;
import org.parley.server.testing.WithTestServer;

/** DESIGN.md §5: a sender whose view of the recipient's devices is stale refreshes and gets through. */
@WithTestServer
class StaleDevicesIT {
  static final String ALICE = "+15550000201";
  static final String BOB = "+15550000202";

  @TempDir Path dir;
  TestServer server;

  @BeforeEach
  void useServer(TestServer server) {
    this.server = server;
  }

  @Test
  void bobRegistersAgainOnANewPhone_aliceRefreshesAndTheMessageArrives() {
    try (Device alice = register(server, dir.resolve("alice"), ALICE)) {
      try (Device oldBob = register(server, dir.resolve("bob-old"), BOB)) {
        alice.sendText(BOB, "to the old phone");
        assertThat(messages(receive(oldBob))).extracting(MessageEvent::body).containsExactly("to the old phone");
      }
      List<ClientEvent> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
      alice.onEvent(warnings::add);
      try (Device newBob = register(server, dir.resolve("bob-new"), BOB)) {
        // Alice's cached session is for the old registration: the server answers "stale devices",
        // Alice drops that session, fetches the new bundle and sends again.
        alice.sendText(BOB, "to the new phone");
        assertThat(messages(receive(newBob))).extracting(MessageEvent::body).containsExactly("to the new phone");
        assertThat(warnings).filteredOn(IdentityChangedEvent.class::isInstance).isNotEmpty();

        newBob.sendText(ALICE, "new phone, same number");
        assertThat(messages(receive(alice))).extracting(MessageEvent::body).containsExactly("new phone, same number");
      }
      try (Device oldBob = Device.open(dir.resolve("bob-old"), ClientConfig.defaults())) {
        List<ClientEvent> events = receive(oldBob);
        assertThat(events).filteredOn(UnlinkedEvent.class::isInstance).singleElement()
            .satisfies(e -> assertThat(((UnlinkedEvent) e).reason()).isEqualTo("re-registered"));
        assertThatThrownBy(() -> oldBob.sendText(ALICE, "still here?"))
            .isInstanceOf(ClientException.class).hasMessageContaining("unlinked");
      }
    }
  }
}
