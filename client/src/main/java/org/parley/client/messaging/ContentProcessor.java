package org.parley.client.messaging;

import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import org.parley.client.appstate.AppStateInbox;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.MessageEvent;
import org.parley.client.events.ReadEvent;
import org.parley.client.events.ReceiptEvent;
import org.parley.client.events.WarningEvent;
import org.parley.client.store.AttachmentStore;
import org.parley.client.store.Contacts;
import org.parley.client.store.MessageHistory;
import org.parley.client.store.MessageHistory.Entry;
import org.parley.protocol.wire.Content;
import org.parley.protocol.wire.DataMessage;
import org.parley.protocol.wire.HistorySync;
import org.parley.protocol.wire.ReadMark;
import org.parley.protocol.wire.ReceiptMessage;
import org.parley.protocol.wire.ReceiptType;
import org.parley.protocol.wire.SentTranscript;
import org.parley.protocol.wire.SyncMessage;

/**
 * Applies decrypted content to the profile, inside the receiver's transaction: messages into the
 * history, transcripts of what own devices sent, read marks, receipts. Sync content is believed only
 * from the account's own devices.
 */
public class ContentProcessor {
  private final MessageHistory history;
  private final Contacts contacts;
  private final ReceiptQueue receipts;
  private final UUID ownAccount;
  private final String ownPhone;
  private final Consumer<HistorySync> historyAnnounced;
  private final AppStateInbox appState;

  public ContentProcessor(
      MessageHistory history,
      Contacts contacts,
      ReceiptQueue receipts,
      UUID ownAccount,
      String ownPhone,
      Consumer<HistorySync> historyAnnounced) {
    this(history, contacts, receipts, ownAccount, ownPhone, historyAnnounced, null);
  }

  /** @param appState takes app-state changes from own devices (docs/PROTOCOL.md §13), or {@code null} */
  public ContentProcessor(
      MessageHistory history,
      Contacts contacts,
      ReceiptQueue receipts,
      UUID ownAccount,
      String ownPhone,
      Consumer<HistorySync> historyAnnounced,
      AppStateInbox appState) {
    this.appState = appState;
    this.history = history;
    this.contacts = contacts;
    this.receipts = receipts;
    this.ownAccount = ownAccount;
    this.ownPhone = ownPhone;
    this.historyAnnounced = historyAnnounced;
  }

  public void apply(Incoming incoming, List<ClientEvent> events) {
    Content content = incoming.content();
    boolean own = incoming.sender().equals(ownAccount);
    if (content.hasData() && !own) {
      message(incoming, content.getData(), events);
    }
    if (content.hasSync() && own) {
      sync(incoming, content.getSync(), events);
    } else if (content.hasSync() && content.getSync().hasAppState()) {
      // Another account's devices have no say in this account's state.
      events.add(
          new WarningEvent(
              "app-state-refused",
              "app-state changes from " + incoming.senderPhone() + " device " + incoming.senderDevice()
                  + " were refused: only this account's own devices may change its app state"));
    }
    if (content.hasReceipt() && !own) {
      receipt(incoming, content.getReceipt(), events);
    }
  }

  protected void message(Incoming incoming, DataMessage data, List<ClientEvent> events) {
    Entry entry =
        new Entry(
            incoming.sender(),
            data.getId(),
            incoming.senderDevice(),
            incoming.sender(),
            null,
            false,
            data.getBody(),
            data.getTimestamp(),
            incoming.envelope().getServerTimestamp(),
            "unread");
    if (history.add(entry, data.getAttachmentsList(), AttachmentStore.PENDING)) {
      events.add(event(entry, incoming.senderPhone(), null).withAttachments(AttachmentStore.arrived(data.getAttachmentsList())));
    }
    receipts.owe(incoming.sender(), data.getId());
  }

  protected void sync(Incoming incoming, SyncMessage sync, List<ClientEvent> events) {
    switch (sync.getKindCase()) {
      case SENT -> sent(incoming, sync.getSent(), events);
      case READ -> {
        for (ReadMark mark : sync.getRead().getMarksList()) {
          UUID chat = mark.getChatAccount().isEmpty() ? null : UUID.fromString(mark.getChatAccount());
          String group = mark.getGroupId().isEmpty() ? null : mark.getGroupId();
          history.markRead(chat, group, mark.getUpToTimestamp());
          events.add(
              new ReadEvent(
                  chat == null ? null : contacts.phoneOf(chat), group, mark.getUpToTimestamp(), incoming.senderDevice()));
        }
      }
      case HISTORY -> {
        // Only the primary exports history (docs/PROTOCOL.md §9).
        if (incoming.senderDevice() == 1) {
          historyAnnounced.accept(sync.getHistory());
        }
      }
      case APP_STATE -> {
        if (appState != null) {
          appState.received(incoming.senderDevice(), sync.getAppState(), events);
        }
      }
      default -> {}
    }
  }

  private void sent(Incoming incoming, SentTranscript sent, List<ClientEvent> events) {
    DataMessage data = sent.getMessage();
    UUID chat =
        sent.getDestinationAccount().isEmpty() ? null : UUID.fromString(sent.getDestinationAccount());
    if (chat != null) {
      contacts.notePhone(chat, sent.getDestinationPhone());
    }
    Entry entry =
        new Entry(
            ownAccount,
            data.getId(),
            incoming.senderDevice(),
            chat,
            data.getGroupId().isEmpty() ? null : data.getGroupId(),
            true,
            data.getBody(),
            data.getTimestamp(),
            incoming.envelope().getServerTimestamp(),
            "sent");
    if (history.add(entry, data.getAttachmentsList(), AttachmentStore.PENDING)) {
      events.add(
          event(entry, ownPhone, sent.getDestinationPhone().isEmpty() ? null : sent.getDestinationPhone())
              .withAttachments(AttachmentStore.arrived(data.getAttachmentsList())));
    }
  }

  private void receipt(Incoming incoming, ReceiptMessage receipt, List<ClientEvent> events) {
    String kind = receipt.getType() == ReceiptType.READ ? "read" : "delivery";
    history.updateStatus(ownAccount, receipt.getMessageIdsList(), kind.equals("read") ? "read" : "delivered");
    events.add(
        new ReceiptEvent(
            kind, incoming.senderPhone(), incoming.senderDevice(), List.copyOf(receipt.getMessageIdsList()),
            receipt.getTimestamp()));
  }

  public static MessageEvent event(Entry entry, String fromPhone, String toPhone) {
    return MessageEvent.of(
        entry.outgoing(),
        entry.id(),
        fromPhone,
        entry.authorDevice(),
        toPhone,
        entry.groupId(),
        entry.body(),
        entry.timestamp(),
        entry.serverTimestamp(),
        entry.status());
  }
}
