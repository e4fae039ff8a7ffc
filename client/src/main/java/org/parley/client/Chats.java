package org.parley.client;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.parley.client.appstate.ChatRef;
import org.parley.client.events.MessageEvent;
import org.parley.client.messaging.ContentProcessor;
import org.parley.client.messaging.DeviceDirectory;
import org.parley.client.messaging.IdentityNotices;
import org.parley.client.messaging.MessageSender;
import org.parley.client.messaging.Resends;
import org.parley.client.messaging.SafetyNumbers;
import org.parley.client.net.ServerConnection;
import org.parley.client.store.AttachmentStore;
import org.parley.client.store.Contacts;
import org.parley.client.store.MessageHistory;
import org.parley.protocol.PhoneNumbers;
import org.parley.protocol.wire.Content;
import org.parley.protocol.wire.DataMessage;
import org.parley.protocol.wire.ReadMark;
import org.parley.protocol.wire.ReadSync;
import org.parley.protocol.wire.ReceiptMessage;
import org.parley.protocol.wire.ReceiptType;
import org.parley.protocol.wire.SentTranscript;
import org.parley.protocol.wire.SyncMessage;

/** One-to-one chats: sending, reading (with read sync and receipts), the history, safety numbers. */
final class Chats {
  private final DeviceContext device;
  private final Online online;
  private final Attachments attachments;
  private Outbox outbox;

  Chats(DeviceContext device, Online online, Attachments attachments) {
    this.device = device;
    this.online = online;
    this.attachments = attachments;
  }

  /** Where new messages go first (set once, by the device that owns both). */
  void outbox(Outbox value) {
    this.outbox = value;
  }

  /** A new message to a contact: sent now, or kept in the outbox while the server cannot be reached. */
  Device.SendResult sendText(String phone, String body) {
    return send(phone, body, List.of());
  }

  /**
   * A new message with files: each is uploaded first (docs/PROTOCOL.md §14), then the message, which
   * points to them, is sent now or kept in the outbox.
   */
  Device.SendResult send(String phone, String body, List<Attachments.Prepared> files) {
    String number = PhoneNumbers.normalize(phone);
    DataMessage data =
        DataMessage.newBuilder()
            .setId(UUID.randomUUID().toString())
            .setBody(body)
            .setTimestamp(device.clock.millis())
            .addAllAttachments(files.stream().map(Attachments.Prepared::pointer).toList())
            .build();
    attachments.recordOwn(device.local.account(), data.getId(), files);
    Device.SendResult result = outbox.send(number, null, data);
    attachments.carried(files);
    return result;
  }

  /**
   * Sends a message to a contact's devices and a transcript to this account's other devices, and
   * records it as sent (a message that waited in the outbox goes from pending to sent).
   */
  Device.SendResult deliver(String number, DataMessage data) {
    ServerConnection server = online.connection(false);
    DeviceDirectory directory = device.directory();
    UUID recipient =
        directory.cachedByPhone(number).map(DeviceDirectory.Account::id)
            .orElseGet(() -> directory.refreshByPhone(server, number).id());
    var local = device.local;
    long now = data.getTimestamp();
    String body = data.getBody();
    List<MessageSender.Part> parts = new ArrayList<>();
    parts.add(new MessageSender.Part(recipient, Content.newBuilder().setData(data).build()));
    if (!recipient.equals(local.account())) {
      SentTranscript transcript =
          SentTranscript.newBuilder()
              .setDestinationAccount(recipient.toString())
              .setDestinationPhone(number)
              .setMessage(data)
              .build();
      parts.add(
          new MessageSender.Part(
              local.account(), Content.newBuilder().setSync(SyncMessage.newBuilder().setSent(transcript)).build()));
    }
    MessageSender.Result result;
    try {
      result = device.sender().send(server, parts, now, false);
    } finally {
      tellIdentityChange(recipient);
    }
    if (result.unreachable().contains(recipient)) {
      throw new ClientException(
          "UNTRUSTED",
          "nothing was sent: no device of " + number + " is vouched for by its primary's signed device list",
          null);
    }
    MessageHistory.Entry entry =
        new MessageHistory.Entry(
            local.account(), data.getId(), local.deviceId(), recipient, null, true, body, now,
            result.serverTimestamp(), "sent");
    device.profile.transaction(c -> {
      // Kept a while, for a device of the recipient (or an own device, its transcript) that cannot
      // decrypt it to ask for it again.
      Resends resends = new Resends(device.profile, device.clock);
      parts.forEach(part -> resends.sent(now, part.account(), null, part.content()));
      if (!device.history.add(entry, data.getAttachmentsList(), AttachmentStore.PENDING)) {
        device.history.setOwnStatus(local.account(), data.getId(), Outbox.SENT, result.serverTimestamp(), recipient);
      }
      device.events.append(
          ContentProcessor.event(entry, local.phone(), number)
              .withAttachments(device.attachments.views(local.account(), data.getId())));
      return null;
    });
    return new Device.SendResult(data.getId(), now, result.serverTimestamp(), result.declined(), Outbox.SENT);
  }

  /**
   * A change of the contact's identity seen while sending is told at once; the receive stream still
   * shows it before the first message under the new key.
   */
  private void tellIdentityChange(UUID contact) {
    device.contacts.byAccount(contact)
        .filter(known -> known.changedFrom() != null)
        .ifPresent(known -> device.tell(new IdentityNotices(device.contacts, device.local.account()).changed(known)));
  }

  int markRead(String phone) {
    String number = PhoneNumbers.normalize(phone);
    UUID chat =
        device.contacts.byPhone(number).map(Contacts.Known::account)
            .orElseThrow(() -> new ClientException("there is no chat with " + number));
    long now = device.clock.millis();
    List<MessageHistory.Entry> read = device.history.markRead(chat, null, now);
    ServerConnection server = online.connection(false);
    MessageSender sender = device.sender();
    Content sync =
        Content.newBuilder()
            .setSync(
                SyncMessage.newBuilder()
                    .setRead(
                        ReadSync.newBuilder()
                            .addMarks(ReadMark.newBuilder().setChatAccount(chat.toString()).setUpToTimestamp(now))))
            .build();
    sender.send(server, List.of(new MessageSender.Part(device.local.account(), sync)), now, false);
    if (!read.isEmpty()) {
      Content receipt =
          Content.newBuilder()
              .setReceipt(
                  ReceiptMessage.newBuilder()
                      .setType(ReceiptType.READ)
                      .addAllMessageIds(read.stream().map(MessageHistory.Entry::id).toList())
                      .setTimestamp(now))
              .build();
      sender.send(server, List.of(new MessageSender.Part(chat, receipt)), now, true);
    }
    device.appState(() -> server).chatRead(ChatRef.direct(chat));
    return read.size();
  }

  List<MessageEvent> history(String phone, String groupId, int limit, long upTo) {
    UUID chat = null;
    if (phone != null) {
      chat = device.contacts.byPhone(PhoneNumbers.normalize(phone)).map(Contacts.Known::account).orElse(null);
      if (chat == null) {
        return List.of();
      }
    }
    List<MessageEvent> out = new ArrayList<>();
    var names = device.names();
    for (MessageHistory.Entry entry : device.history.list(chat, groupId, limit, upTo)) {
      String author = entry.outgoing() ? device.local.phone() : device.contacts.phoneOf(entry.author());
      String to =
          entry.outgoing() && entry.chatAccount() != null ? device.contacts.phoneOf(entry.chatAccount()) : null;
      out.add(
          (MessageEvent) names.named(
              ContentProcessor.event(entry, author, to).withAttachments(device.attachments.views(entry.author(), entry.id()))));
    }
    return out;
  }

  Device.Trusted trust(String phone, String typed) {
    String number = PhoneNumbers.normalize(phone);
    ServerConnection server = online.connection(false);
    DeviceDirectory directory = device.directory();
    DeviceDirectory.Account contact = directory.refreshByPhone(server, number);
    Contacts.Known known = device.contacts.byAccount(contact.id()).orElseThrow();
    byte[] identity = known.held() ? known.pendingIdentity() : known.primaryIdentity();
    if (identity == null) {
      throw new ClientException(number + " has no verified primary identity yet; try again when its primary is online");
    }
    byte[] mine = device.contacts.byAccount(device.local.account()).map(Contacts.Known::primaryIdentity).orElseThrow();
    String safetyNumber = SafetyNumbers.of(device.local.account(), mine, contact.id(), identity);
    if (typed != null && !SafetyNumbers.matches(typed, safetyNumber)) {
      throw new ClientException(
          "that is not the safety number with " + number + "; nothing was changed. Compare again with"
              + " 'parley safety-number " + number + "'");
    }
    device.contacts.trust(contact.id(), identity, typed != null);
    // The devices under the accepted identity are trusted from here on.
    directory.refresh(server, contact.id());
    return new Device.Trusted(number, safetyNumber, typed != null);
  }

  /**
   * The safety number with a contact (docs/PROTOCOL.md §1). While a new identity of theirs is held, the one
   * to compare is the new one.
   */
  String safetyNumber(String phone) {
    String number = PhoneNumbers.normalize(phone);
    DeviceDirectory.Account contact = device.directory().refreshByPhone(online.connection(false), number);
    Contacts.Known known = device.contacts.byAccount(contact.id()).orElse(null);
    byte[] theirs = known == null ? null : known.held() ? known.pendingIdentity() : known.primaryIdentity();
    byte[] mine = device.contacts.byAccount(device.local.account()).map(Contacts.Known::primaryIdentity).orElse(null);
    if (theirs == null || mine == null) {
      throw new ClientException(number + " has no verified primary identity yet; try again when its primary is online");
    }
    return SafetyNumbers.of(device.local.account(), mine, contact.id(), theirs);
  }
}
