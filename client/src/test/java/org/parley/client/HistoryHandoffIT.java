package org.parley.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parley.client.Accounts.link;
import static org.parley.client.Accounts.receive;
import static org.parley.client.Accounts.register;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.HistorySyncEvent;
import org.parley.client.events.MessageEvent;
import org.parley.client.store.MessageHistory;
import org.parley.client.store.ProfileStore;
import org.parley.server.testing.TestServer;
import org.parley.server.testing.WithTestServer;

/**
 * DESIGN.md §7 end to end: a companion linked after two accounts talked shows the same history for
 * every chat, nothing older than the window, and the server keeps no bundle afterwards.
 */
@WithTestServer
class HistoryHandoffIT {
  static final String ALICE = "+15550001401";
  static final String BOB = "+15550001402";
  static final String CAROL = "+15550001403";

  @TempDir Path dir;

  @Test
  void aCompanionLinkedLaterShowsTheSameHistoryAndNothingOlderThanTheWindow(TestServer server) throws Exception {
    try (Device alice = register(server, dir.resolve("alice"), ALICE);
        Device bob = register(server, dir.resolve("bob"), BOB);
        Device carol = register(server, dir.resolve("carol"), CAROL)) {
      alice.sendText(BOB, "hi bob");
      receive(bob);
      bob.sendText(ALICE, "hi alice");
      bob.sendText(ALICE, "how are you?");
      carol.sendText(ALICE, "carol here");
      receive(alice);
      alice.sendText(CAROL, "hello carol");
      receive(alice);
      String group = alice.groups().create("shop staff", List.of(BOB, CAROL)).id();
      alice.groups().sendText(group, "welcome to the group");
      receive(bob);
      bob.groups().sendText(group, "thanks alice");
      receive(alice);
      seedOldMessage(dir.resolve("alice"), BOB);

      try (Device laptop = link(server, alice, dir.resolve("alice-laptop"), "laptop")) {
        List<ClientEvent> events = new CopyOnWriteArrayList<>();
        assertThat(laptop.awaitHistory(Duration.ofSeconds(30), events::add)).isTrue();
        assertThat(events).filteredOn(HistorySyncEvent.class::isInstance)
            .extracting(e -> ((HistorySyncEvent) e).state()).contains("downloading", "importing", "imported");

        for (String contact : List.of(BOB, CAROL)) {
          assertThat(view(laptop.history(contact, null, 100)))
              .as("the chat with " + contact)
              .isEqualTo(view(alice.history(contact, null, 100)).stream()
                  .filter(m -> !m.contains("from last year")).toList());
        }
        assertThat(view(laptop.history(null, group, 100)))
            .as("the group chat")
            .isEqualTo(view(alice.history(null, group, 100)));
        assertThat(laptop.history(null, group, 100)).filteredOn(m -> m.kind() == null).hasSize(2);
        try (ProfileStore store = ProfileStore.open(dir.resolve("alice-laptop"))) {
          var known = new org.parley.client.store.GroupStore(store, new org.parley.client.store.Contacts(store)).get(group);
          assertThat(known).get().satisfies(g -> {
            assertThat(g.name()).isEqualTo("shop staff");
            assertThat(g.member()).isTrue();
            assertThat(g.members()).extracting(m -> m.phone()).containsExactlyInAnyOrder(ALICE, BOB, CAROL);
          });
        }
        laptop.groups().sendText(group, "hello from the laptop");
        assertThat(Accounts.messages(receive(carol))).extracting(MessageEvent::body)
            .contains("welcome to the group", "thanks alice", "hello from the laptop");
        assertThat(view(alice.history(BOB, null, 100))).anyMatch(m -> m.contains("from last year"));
        assertThat(laptop.history(BOB, null, 100)).extracting(MessageEvent::body).doesNotContain("from last year");

        // Live messages keep arriving on top of the imported history, none twice.
        bob.sendText(ALICE, "welcome, laptop");
        receive(laptop);
        assertThat(laptop.history(BOB, null, 100)).extracting(MessageEvent::body)
            .containsExactly("hi bob", "hi alice", "how are you?", "welcome, laptop");
        assertThat(server.blobFiles()).as("the server keeps no bundle once fetched").isEmpty();
      }
    }
  }

  private static List<String> view(List<MessageEvent> messages) {
    return messages.stream()
        .map(m -> m.type() + "|" + m.id() + "|" + m.from() + "|" + m.to() + "|" + m.body() + "|" + m.timestamp())
        .toList();
  }

  /** Puts a message 400 days old straight into Alice's store: older than the 365-day window. */
  private static void seedOldMessage(Path profile, String contact) {
    try (ProfileStore store = ProfileStore.open(profile)) {
      UUID account = new org.parley.client.store.Contacts(store).byPhone(contact).orElseThrow().account();
      long old = System.currentTimeMillis() - Duration.ofDays(400).toMillis();
      new MessageHistory(store)
          .add(new MessageHistory.Entry(account, UUID.randomUUID().toString(), 1, account, null, false,
              "from last year", old, old, "read"));
    }
  }
}
