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
import org.parley.client.events.UntrustedEvent;
import org.parley.server.testing.TestServer;
import org.parley.server.testing.WithTestServer;

/**
 * A contact's number registered again on another phone (a SIM swap, or the operator itself, who sees
 * every SMS code): the safety number changes, and what happens follows trust-new-identities and
 * whether the user verified the contact (DESIGN.md §3).
 */
@WithTestServer
class IdentityChangeIT {
  static final String ALICE = "+15550001201";
  static final String BOB = "+15550001202";

  @TempDir Path dir;
  TestServer server;

  @BeforeEach
  void useServer(TestServer server) {
    this.server = server;
  }

  @Test
  void onFirstUseTheNewIdentityIsAcceptedAndAnnouncedBeforeItsFirstMessage() {
    try (Device alice = register(server, dir.resolve("alice"), ALICE)) {
      String before = knowEachOther(alice);
      try (Device newBob = register(server, dir.resolve("bob-new"), BOB)) {
        newBob.sendText(ALICE, "new phone, same number");
        List<ClientEvent> events = receive(alice);

        assertThat(events).first().isInstanceOfSatisfying(IdentityChangedEvent.class, e -> {
          assertThat(e.phone()).isEqualTo(BOB);
          assertThat(e.oldSafetyNumber()).isEqualTo(before);
          assertThat(e.newSafetyNumber()).isNotEqualTo(before).isEqualTo(alice.safetyNumber(BOB));
          assertThat(e.held()).isFalse();
        });
        assertThat(messages(events)).extracting(MessageEvent::body).containsExactly("new phone, same number");
      }
    }
  }

  @Test
  void withNeverTheNewIdentityIsHeldUntilTrusted() {
    try (Device alice = register(server, dir.resolve("alice"), ALICE)) {
      alice.trustNewIdentities("never");
      knowEachOther(alice);
      try (Device newBob = register(server, dir.resolve("bob-new"), BOB)) {
        newBob.sendText(ALICE, "held until trusted");
        List<ClientEvent> events = receive(alice);
        assertThat(messages(events)).isEmpty();
        assertThat(events).filteredOn(UntrustedEvent.class::isInstance).map(e -> ((UntrustedEvent) e).reason())
            .containsExactly("identity-held");
        assertThat(events).filteredOn(IdentityChangedEvent.class::isInstance)
            .singleElement().satisfies(e -> assertThat(((IdentityChangedEvent) e).held()).isTrue());
        assertThatThrownBy(() -> alice.sendText(BOB, "to whoever has the number now"))
            .isInstanceOf(ClientException.class).hasMessageContaining("parley trust " + BOB);

        alice.trust(BOB, null);
        assertThat(messages(receive(alice))).extracting(MessageEvent::body).containsExactly("held until trusted");
        alice.sendText(BOB, "welcome back");
        assertThat(messages(receive(newBob))).extracting(MessageEvent::body).containsExactly("welcome back");
      }
    }
  }

  @Test
  void aVerifiedContactIsHeldUntilVerifiedAgain() {
    try (Device alice = register(server, dir.resolve("alice"), ALICE)) {
      String number = knowEachOther(alice);
      assertThat(alice.trust(BOB, number).verified()).isTrue();
      try (Device newBob = register(server, dir.resolve("bob-new"), BOB)) {
        newBob.sendText(ALICE, "trust me");
        assertThat(messages(receive(alice))).isEmpty();
        assertThatThrownBy(() -> alice.sendText(BOB, "are you bob?")).isInstanceOf(ClientException.class);
        assertThatThrownBy(() -> alice.trust(BOB, number))
            .isInstanceOf(ClientException.class).hasMessageContaining("not the safety number");

        String changed = alice.safetyNumber(BOB);
        assertThat(alice.trust(BOB, changed).verified()).isTrue();
        assertThat(messages(receive(alice))).extracting(MessageEvent::body).containsExactly("trust me");
      }
    }
  }

  /** Bob (on his first phone, closed afterwards) and Alice exchange a message; the safety number then. */
  private String knowEachOther(Device alice) {
    try (Device bob = register(server, dir.resolve("bob"), BOB)) {
      bob.sendText(ALICE, "hello from the first phone");
      assertThat(messages(receive(alice))).hasSize(1);
      return alice.safetyNumber(BOB);
    }
  }
}
