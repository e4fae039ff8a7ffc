package org.parley.client.messaging;

import com.google.protobuf.InvalidProtocolBufferException;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.GroupEvent;
import org.parley.client.events.WarningEvent;
import org.parley.client.messaging.MessageReceiver.Undecryptable;
import org.parley.client.store.GroupStore;
import org.parley.client.store.MessageHistory;
import org.parley.client.store.MessageHistory.Entry;
import org.parley.client.store.SignalStore;
import org.parley.protocol.wire.CiphertextType;
import org.parley.protocol.wire.Content;
import org.parley.protocol.wire.DataMessage;
import org.parley.protocol.wire.Envelope;
import org.parley.protocol.wire.GroupChange;
import org.parley.protocol.wire.GroupMember;
import org.signal.libsignal.protocol.DuplicateMessageException;
import org.signal.libsignal.protocol.InvalidKeyException;
import org.signal.libsignal.protocol.InvalidMessageException;
import org.signal.libsignal.protocol.InvalidVersionException;
import org.signal.libsignal.protocol.LegacyMessageException;
import org.signal.libsignal.protocol.NoSessionException;
import org.signal.libsignal.protocol.SignalProtocolAddress;
import org.signal.libsignal.protocol.groups.GroupCipher;
import org.signal.libsignal.protocol.groups.GroupSessionBuilder;
import org.signal.libsignal.protocol.message.SenderKeyDistributionMessage;

/**
 * The receiving half of groups (DESIGN.md §9), called by {@link MessageReceiver} inside its one local
 * transaction per envelope: the server's notices of membership changes, sender keys handed over in
 * pairwise messages, and group messages decrypted with those keys.
 *
 * <p>A device learns a group from the first notice or message about it; a companion linked after
 * the group was created gets messages at once (its senders see it as a new device and hand it their
 * keys) and fetches the membership from the server when it first sends.
 */
public final class GroupInbox {
  private final SignalStore signal;
  private final GroupStore groups;
  private final GroupRoster roster;
  private final MessageHistory history;
  private final UUID ownAccount;
  private final String ownPhone;

  public GroupInbox(
      SignalStore signal,
      GroupStore groups,
      GroupRoster roster,
      MessageHistory history,
      UUID ownAccount,
      String ownPhone) {
    this.signal = signal;
    this.groups = groups;
    this.roster = roster;
    this.history = history;
    this.ownAccount = ownAccount;
    this.ownPhone = ownPhone;
  }

  /**
   * A server-authored envelope: a group's membership changed. A removal makes this device retire its
   * sender key for the group, so its next message goes out under a new one.
   */
  List<ClientEvent> notice(Envelope envelope) {
    GroupChange change;
    try {
      change = GroupChange.parseFrom(envelope.getContent());
    } catch (InvalidProtocolBufferException e) {
      return List.of(new WarningEvent("bad-notice", "the server sent a group notice that could not be read"));
    }
    String groupId = change.getGroup().getGroupId();
    if (groupId.isEmpty() || !groupId.equals(envelope.getGroupId())) {
      return List.of(new WarningEvent("bad-notice", "the server sent a group notice for a group it does not name"));
    }
    boolean removedHere = change.getRemovedAccountsList().contains(ownAccount.toString());
    if (removedHere) {
      roster.left(groupId, change.getGroup().getName(), change.getGroup().getVersion());
    } else {
      roster.store(change.getGroup());
      if (change.getRemovedAccountsCount() > 0) {
        groups.retireSenderKey(groupId);
      }
    }
    Map<String, String> phones =
        change.getGroup().getMembersList().stream()
            .collect(Collectors.toMap(GroupMember::getAccountId, GroupMember::getPhone, (a, b) -> a));
    List<String> added = change.getAddedAccountsList().stream().map(a -> phones.getOrDefault(a, a)).toList();
    List<String> removed = List.copyOf(change.getRemovedPhonesList());
    String kind;
    if (!removed.isEmpty()) {
      kind = removed.equals(List.of(change.getActorPhone())) ? "left" : "removed";
    } else {
      kind = change.getGroup().getVersion() == 1 ? "created" : "added";
    }
    return List.of(
        new GroupEvent(
            kind, groupId, change.getGroup().getName(), change.getActorPhone(), added, removed,
            change.getGroup().getVersion(), envelope.getServerTimestamp()));
  }

  /** Decrypts a group message with the sender key its sender handed this device. */
  byte[] decrypt(SignalProtocolAddress sender, byte[] ciphertext) {
    try {
      return new GroupCipher(signal, sender).decrypt(ciphertext);
    } catch (NoSessionException e) {
      throw new Undecryptable("no sender key from that device for this group (never handed over, or replaced)");
    } catch (DuplicateMessageException e) {
      throw new Undecryptable("a duplicate of a message already received");
    } catch (InvalidMessageException | LegacyMessageException e) {
      throw new Undecryptable(e.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }

  /**
   * Takes in the group part of decrypted content: a sender key handed over with it (from any vouched
   * device, own ones included), and a group message.
   *
   * @return whether the content was a group message, handled here; otherwise the caller applies it
   */
  boolean take(Incoming incoming, List<ClientEvent> events) {
    Content content = incoming.content();
    if (!content.getSenderKeyDistribution().isEmpty()) {
      acceptSenderKey(incoming, events);
    }
    boolean groupEnvelope = incoming.envelope().getType() == CiphertextType.SENDER_KEY;
    boolean groupData = content.hasData() && !content.getData().getGroupId().isEmpty();
    if (!groupEnvelope && !groupData) {
      return false;
    }
    if (groupEnvelope && groupData && content.getData().getGroupId().equals(incoming.envelope().getGroupId())) {
      message(incoming, content.getData(), events);
    } else {
      // The group named inside the encryption is the one that counts; a server that delivers a
      // message under another group's id (or a group message pairwise) gets it dropped.
      events.add(
          new WarningEvent(
              "misrouted-group-message",
              "dropped a group message from " + incoming.senderPhone() + " that did not arrive in its own group"));
    }
    return true;
  }

  private void acceptSenderKey(Incoming incoming, List<ClientEvent> events) {
    SignalProtocolAddress sender = MessageSender.address(incoming.sender(), incoming.senderDevice());
    try {
      SenderKeyDistributionMessage key =
          new SenderKeyDistributionMessage(incoming.content().getSenderKeyDistribution().toByteArray());
      new GroupSessionBuilder(signal).process(sender, key);
    } catch (InvalidMessageException | InvalidVersionException | LegacyMessageException | InvalidKeyException e) {
      events.add(
          new WarningEvent(
              "bad-sender-key",
              "a group key from " + incoming.senderPhone() + " device " + incoming.senderDevice()
                  + " could not be used (" + e.getMessage() + "); its group messages will not be readable"));
    }
  }

  private void message(Incoming incoming, DataMessage data, List<ClientEvent> events) {
    // One of this account's devices sent it: the group ciphertext doubles as the sent transcript.
    boolean own = incoming.sender().equals(ownAccount);
    Entry entry =
        new Entry(
            incoming.sender(),
            data.getId(),
            incoming.senderDevice(),
            null,
            data.getGroupId(),
            own,
            data.getBody(),
            data.getTimestamp(),
            incoming.envelope().getServerTimestamp(),
            own ? "sent" : "unread");
    if (history.add(entry)) {
      events.add(ContentProcessor.event(entry, own ? ownPhone : incoming.senderPhone(), null));
    }
  }
}
