package org.parley.client.appstate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.ClientException;
import org.parley.client.appstate.AppStateViews.ChatView;
import org.parley.client.appstate.AppStateViews.Filter;
import org.parley.client.store.Contacts;
import org.parley.client.store.EventLog;
import org.parley.client.store.GroupStore;
import org.parley.client.store.LocalDevice;
import org.parley.client.store.MessageHistory;
import org.parley.client.store.ProfileStore;
import org.parley.server.testing.MutableClock;

/**
 * App state on one device that cannot reach its server: every change is kept here (pending, sent
 * with the next connection), the views read it, and every bound refuses with a sentence.
 */
class AppStateTest {
  static final UUID OWN = UUID.fromString("00000000-0000-0000-0000-00000000000a");
  static final UUID BOB = UUID.fromString("00000000-0000-0000-0000-00000000000b");
  static final UUID CAROL = UUID.fromString("00000000-0000-0000-0000-00000000000c");
  static final String BOB_PHONE = "+15550001902";
  static final String CAROL_PHONE = "+15550001903";

  @TempDir Path dir;
  ProfileStore store;
  MutableClock clock = MutableClock.now();
  AppState state;
  AppStateLog log;

  @BeforeEach
  void offlineDevice() {
    store = ProfileStore.open(dir);
    new LocalDevice(store).registered(OWN, 2, "+15550001901", new byte[32]);
    Contacts contacts = new Contacts(store);
    contacts.notePhone(BOB, BOB_PHONE);
    contacts.notePhone(CAROL, CAROL_PHONE);
    contacts.verified(
        OWN, "+15550001901", new Contacts.Verification(new byte[33], null, 1, new byte[32], false, null), 1,
        List.of(
            new Contacts.KnownDevice(1, 1, new byte[33], true, "phone", 0),
            new Contacts.KnownDevice(2, 2, new byte[33], true, "laptop", 1)));
    MessageHistory history = new MessageHistory(store);
    for (UUID contact : List.of(BOB, CAROL)) {
      history.add(new MessageHistory.Entry(contact, "m-" + contact, 1, contact, null, false, "hi", 1, 2, "unread"));
    }
    GroupStore groups = new GroupStore(store, contacts);
    log = new AppStateLog(store);
    Names names = new Names(log, contacts, groups, OWN);
    state =
        new AppState(
            store, new LocalDevice(store), contacts, groups, log,
            new Applier(log, names, new MessageHistory(store), OWN), names, new EventLog(store, clock), clock,
            () -> {
              throw new ClientException("UNREACHABLE", "the server cannot be reached", null);
            },
            () -> null, () -> null);
  }

  @AfterEach
  void close() {
    store.close();
  }

  @Test
  void changesMadeOfflineAreKeptPendingWithTheReason() {
    AppState.Change change = state.pin(BOB_PHONE, true);
    assertThat(change.changed()).isTrue();
    assertThat(change.synced()).isFalse();
    assertThat(change.pendingReason()).contains("cannot be reached");
    state.nameContact(BOB_PHONE, "Bob");
    assertThat(log.pending(10)).hasSize(2);
    assertThat(chat(BOB_PHONE).pinned()).isTrue();
    assertThat(chat(BOB_PHONE).name()).isEqualTo("Bob");
    assertThat(state.pin(BOB_PHONE, true).changed()).as("pinned already").isFalse();
  }

  @Test
  void theChatListFiltersAndOrdersByMarks() {
    state.createLabel("new order", "blue");
    state.label("new order", BOB_PHONE, null, true);
    state.assign(CAROL_PHONE, "laptop");
    state.pin(CAROL_PHONE, true);
    state.archive(BOB_PHONE, true);

    assertThat(chats(new Filter(false, null, null))).extracting(ChatView::chat).containsExactly(CAROL_PHONE);
    assertThat(chats(new Filter(true, null, null))).extracting(ChatView::chat).containsExactly(BOB_PHONE);
    assertThat(chats(new Filter(true, "NEW ORDER", null))).extracting(ChatView::chat).containsExactly(BOB_PHONE);
    assertThat(chats(new Filter(false, null, 2))).singleElement()
        .satisfies(c -> assertThat(c.assignedToName()).isEqualTo("laptop"));
    assertThat(chats(new Filter(false, null, 1))).isEmpty();

    state.mute(BOB_PHONE, Duration.ofHours(1));
    assertThat(chat(BOB_PHONE).mutedUntil()).isEqualTo(clock.millis() + 3_600_000);
    clock.advance(Duration.ofHours(2));
    assertThat(chat(BOB_PHONE).mutedUntil()).as("a mute that ran out").isZero();
    state.mute(BOB_PHONE, null);
    assertThat(chat(BOB_PHONE).mutedUntil()).as("for ever").isEqualTo(-1);
  }

  @Test
  void labelsAreRenamedWithoutLeavingTheirChatsAndDeletedFromAll() {
    state.createLabel("new order", null);
    state.label("new order", BOB_PHONE, null, true);
    state.label("new order", CAROL_PHONE, null, true);
    state.updateLabel("new order", "paid", "green");
    assertThat(chat(BOB_PHONE).labels()).containsExactly("paid");
    assertThat(state.views().labels()).singleElement().satisfies(l -> {
      assertThat(l.colour()).isEqualTo("#43a047");
      assertThat(l.chats()).isEqualTo(2);
    });
    assertThatThrownBy(() -> state.createLabel("PAID", null)).hasMessageContaining("there is a label named");

    state.deleteLabel("paid");
    assertThat(state.views().labels()).isEmpty();
    assertThat(chat(BOB_PHONE).labels()).isEmpty();
    assertThat(log.countLive("kind = ?", "chat-label")).as("taken off every chat").isZero();
  }

  @Test
  void aChatMarkedUnreadLosesTheMarkWhenRead() {
    state.markUnread(BOB_PHONE, true);
    assertThat(chat(BOB_PHONE).markedUnread()).isTrue();
    state.chatRead(ChatRef.direct(BOB));
    assertThat(chat(BOB_PHONE).markedUnread()).isFalse();
  }

  @Test
  void everyBoundRefusesWithASentence() {
    for (int i = 0; i < AppStateLimits.MAX_LABELS; i++) {
      state.createLabel("label " + i, null);
    }
    assertThatThrownBy(() -> state.createLabel("one too many", null))
        .isInstanceOf(ClientException.class)
        .hasMessageContaining("the most it may have (100)")
        .hasMessageContaining("delete one first");
    assertThatThrownBy(() -> state.createLabel("x".repeat(51), null)).hasMessageContaining("at most 50 characters");
    assertThatThrownBy(() -> state.nameContact(BOB_PHONE, "Bob\nEvil")).hasMessageContaining("control characters");
    assertThatThrownBy(() -> state.nameContact(BOB_PHONE, "Bob\u202Elive")).hasMessageContaining("direction marks");
    assertThatThrownBy(() -> state.addNote(BOB_PHONE, "é".repeat(2049)))
        .hasMessageContaining("at most 4096 bytes")
        .hasMessageContaining("4098");
    assertThatThrownBy(() -> state.assign(BOB_PHONE, "7")).hasMessageContaining("not one of this account's devices");
    assertThatThrownBy(() -> state.archive("not-a-known-group", true)).hasMessageContaining("there is no group");
    assertThatThrownBy(() -> state.mute(BOB_PHONE, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
  }

  ChatView chat(String phone) {
    for (boolean archived : List.of(false, true)) {
      for (ChatView chat : chats(new Filter(archived, null, null))) {
        if (chat.chat().equals(phone)) {
          return chat;
        }
      }
    }
    throw new AssertionError("no chat " + phone);
  }

  List<ChatView> chats(Filter filter) {
    return state.views().chats(filter);
  }
}
