package org.parley.client.appstate;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.ContactNameEvent;
import org.parley.client.events.WarningEvent;
import org.parley.client.messaging.ContentProcessor;
import org.parley.client.messaging.Incoming;
import org.parley.client.messaging.ReceiptQueue;
import org.parley.client.store.Contacts;
import org.parley.client.store.GroupStore;
import org.parley.client.store.MessageHistory;
import org.parley.client.store.ProfileStore;
import org.parley.protocol.wire.AppStateMutation;
import org.parley.protocol.wire.AppStateSync;
import org.parley.protocol.wire.AppStateValue;
import org.parley.protocol.wire.Content;
import org.parley.protocol.wire.Envelope;
import org.parley.protocol.wire.SyncMessage;
import org.parley.protocol.wire.NoteValue;

/** What a device takes from another own device's sync message, and what it refuses (with a warning). */
class AppStateInboxTest {
  static final UUID OWN = UUID.fromString("00000000-0000-0000-0000-00000000000a");

  @TempDir Path dir;

  @Test
  void anotherAccountsDevicesHaveNoSayInThisAccountsState() {
    try (ProfileStore store = ProfileStore.open(dir)) {
      AppStateLog log = new AppStateLog(store);
      Contacts contacts = new Contacts(store);
      MessageHistory history = new MessageHistory(store);
      Applier applier = new Applier(log, new Names(log, contacts, new GroupStore(store, contacts), OWN), history, OWN);
      ContentProcessor processor =
          new ContentProcessor(
              history, contacts, new ReceiptQueue(), OWN, "+15550001001", announced -> {},
              new AppStateInbox(log, applier, contacts));
      Content content =
          Content.newBuilder()
              .setSync(
                  SyncMessage.newBuilder()
                      .setAppState(
                          AppStateSync.newBuilder()
                              .addMutations(
                                  AppStateMutation.newBuilder()
                                      .setKey("contact/+15550001001")
                                      .setValue(AppStateValue.newBuilder().setName("a name Bob chose"))
                                      .setVersion(99)
                                      .setDeviceId(1))))
              .build();
      List<ClientEvent> events = new ArrayList<>();
      UUID stranger = UUID.fromString("00000000-0000-0000-0000-00000000000b");
      processor.apply(new Incoming(Envelope.getDefaultInstance(), stranger, 1, "+15550001002", content), events);

      assertThat(events).singleElement().isInstanceOfSatisfying(WarningEvent.class, w -> {
        assertThat(w.code()).isEqualTo("app-state-refused");
        assertThat(w.message()).contains("+15550001002").contains("only this account's own devices");
      });
      assertThat(log.size()).isZero();
    }
  }

  @Test
  void aDeviceSpeaksOnlyForItselfAndWithinBounds() {
    try (ProfileStore store = ProfileStore.open(dir)) {
      AppStateLog log = new AppStateLog(store);
      Contacts contacts = new Contacts(store);
      Applier applier =
          new Applier(log, new Names(log, contacts, new GroupStore(store, contacts), OWN), new MessageHistory(store), OWN);
      AppStateInbox inbox = new AppStateInbox(log, applier, contacts);
      AppStateMutation named =
          AppStateMutation.newBuilder()
              .setKey("contact/+15550001002")
              .setValue(AppStateValue.newBuilder().setName("Bob"))
              .setVersion(3)
              .setDeviceId(2)
              .setTimestamp(10)
              .build();
      AppStateMutation onBehalfOfAnother = named.toBuilder().setKey("contact/+15550001003").setDeviceId(3).build();
      AppStateMutation unknownKind = named.toBuilder().setKey("wallpaper/+15550001002").build();
      AppStateMutation wrongValue = named.toBuilder().setKey("archive/g:group-1").build();
      AppStateMutation tooLarge =
          named.toBuilder()
              .setKey("note/g:group-1/0123456789abcdef")
              .setValue(AppStateValue.newBuilder().setNote(NoteValue.newBuilder().setText("x".repeat(7000))))
              .build();
      AppStateMutation controlCharacters =
          named.toBuilder().setValue(AppStateValue.newBuilder().setName("Bob\u001b[2J")).build();
      List<ClientEvent> events = new ArrayList<>();

      store.transaction(c -> {
        inbox.received(
            2,
            AppStateSync.newBuilder()
                .addMutations(named)
                .addMutations(onBehalfOfAnother)
                .addMutations(unknownKind)
                .addMutations(wrongValue)
                .addMutations(tooLarge)
                .addMutations(controlCharacters)
                .build(),
            events);
        return null;
      });

      assertThat(events).first().isEqualTo(new ContactNameEvent("+15550001002", "Bob", 2, 10));
      assertThat(events).last().isInstanceOfSatisfying(WarningEvent.class, w -> {
        assertThat(w.code()).isEqualTo("app-state-refused");
        assertThat(w.message()).startsWith("5 app-state change(s) from own device 2 were refused")
            .contains("in the name of device 3");
      });
      assertThat(events).hasSize(2);
      assertThat(log.size()).isEqualTo(1);

      events.clear();
      store.transaction(c -> {
        inbox.received(2, AppStateSync.newBuilder().addMutations(named).build(), events);
        return null;
      });
      assertThat(events).as("a redelivery changes nothing and tells nothing").isEmpty();
    }
  }
}
