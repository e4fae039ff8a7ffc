package org.parley.client.messaging;

import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.GroupWarningEvent;
import org.parley.client.events.WarningEvent;
import org.parley.client.messaging.MessageReceiver.Undecryptable;
import org.parley.client.net.ServerConnection;
import org.parley.client.net.ServerException;
import org.parley.client.store.GroupStore.LocalGroup;
import org.parley.client.store.MessageHistory;
import org.parley.client.store.AttachmentStore;
import org.parley.client.store.MessageHistory.Entry;
import org.parley.client.store.SignalStore;
import org.parley.protocol.wire.CiphertextType;
import org.parley.protocol.wire.Content;
import org.parley.protocol.wire.DataMessage;
import org.parley.protocol.wire.Envelope;
import org.parley.protocol.wire.GroupChange;
import org.parley.protocol.wire.Status;
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
 * The receiving half of groups (docs/PROTOCOL.md §10), called by {@link MessageReceiver} inside its one local
 * transaction per envelope: signed membership changes (checked by {@link GroupRoster}), sender keys
 * handed over in pairwise messages, and group messages decrypted with those keys.
 *
 * <p>Membership is this device's own verified copy: a group message or a sender key from an account
 * that is not a member by it is refused (after one catch-up with the group's signed changes, in case
 * this device missed the one that added it), whatever the server says about the group.
 */
public final class GroupInbox {
  private final SignalStore signal;
  private final GroupRoster roster;
  private final MessageHistory history;
  /** The receive loop's connection, for catching up with a group's signed changes. */
  private final Supplier<ServerConnection> server;
  private final UUID ownAccount;
  private final String ownPhone;
  /** Changes learned while checking a sender, shown with the envelope's other events. */
  private final List<ClientEvent> learned = new ArrayList<>();

  public GroupInbox(
      SignalStore signal,
      GroupRoster roster,
      MessageHistory history,
      Supplier<ServerConnection> server,
      UUID ownAccount,
      String ownPhone) {
    this.signal = signal;
    this.roster = roster;
    this.history = history;
    this.server = server;
    this.ownAccount = ownAccount;
    this.ownPhone = ownPhone;
  }

  /**
   * A server-delivered envelope about a group: believed only for the signed change it carries. The
   * server's own description of the group beside it only lends the members' numbers.
   */
  List<ClientEvent> notice(Envelope envelope) {
    GroupChange change;
    try {
      change = GroupChange.parseFrom(envelope.getContent());
    } catch (InvalidProtocolBufferException e) {
      return List.of(new WarningEvent("bad-notice", "the server sent a group notice that could not be read"));
    }
    String groupId = envelope.getGroupId();
    if (groupId.isEmpty() || !groupId.equals(change.getGroup().getGroupId())) {
      return List.of(new WarningEvent("bad-notice", "the server sent a group notice for a group it does not name"));
    }
    if (!change.hasSigned()) {
      return List.of(GroupRoster.refused(groupId, "no admin signed it"));
    }
    Map<UUID, String> phones = new HashMap<>(GroupRoster.phones(change.getGroup()));
    for (int i = 0; i < change.getRemovedAccountsCount() && i < change.getRemovedPhonesCount(); i++) {
      try {
        phones.put(UUID.fromString(change.getRemovedAccounts(i)), change.getRemovedPhones(i));
      } catch (IllegalArgumentException e) {
        // Numbers are only shown; a bad one is left out.
      }
    }
    return roster.receive(server.get(), groupId, change.getSigned(), phones);
  }

  /**
   * Decrypts a group message with the sender key its sender handed this device, if the sender is a
   * member of the group the envelope names (the group inside the encryption is checked in {@link #take}).
   */
  byte[] decrypt(Envelope envelope, SignalProtocolAddress sender) {
    String groupId = envelope.getGroupId();
    if (!isMember(groupId, UUID.fromString(sender.getName()))) {
      throw new Undecryptable(
          notAMember(groupId, envelope.getSourcePhone(), sender.getDeviceId(), "group message"));
    }
    try {
      return new GroupCipher(signal, sender).decrypt(envelope.getContent().toByteArray());
    } catch (NoSessionException e) {
      throw new Undecryptable("no sender key from that device for this group (never handed over, or lost)", true);
    } catch (DuplicateMessageException e) {
      throw new Undecryptable("a duplicate of a message already received", false);
    } catch (InvalidMessageException | LegacyMessageException e) {
      throw new Undecryptable(e.getClass().getSimpleName() + ": " + e.getMessage(), true);
    }
  }

  /**
   * Takes in the group part of decrypted content: a sender key handed over with it (from a member's
   * vouched device, own ones included), and a group message (under the group's sender key, or sent
   * again pairwise to this device after it asked).
   *
   * @return whether the content was a group message, handled here; otherwise the caller applies it
   */
  boolean take(Incoming incoming, List<ClientEvent> events) {
    events.addAll(learned);
    learned.clear();
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
    } else if (!groupEnvelope) {
      // Sent pairwise: a group message sent again to this device, which could not read it.
      String groupId = content.getData().getGroupId();
      if (isMember(groupId, incoming.sender())) {
        message(incoming, content.getData(), events);
      } else {
        events.add(notAMember(groupId, incoming, "group message"));
      }
    } else {
      // The group named inside the encryption is the one that counts; a server that delivers a
      // message under another group's id gets it dropped.
      events.add(
          new WarningEvent(
              "misrouted-group-message",
              "dropped a group message from " + incoming.senderPhone() + " that did not arrive in its own group"));
    }
    events.addAll(learned);
    learned.clear();
    return true;
  }

  private void acceptSenderKey(Incoming incoming, List<ClientEvent> events) {
    String groupId = incoming.content().getSenderKeyGroup();
    if (groupId.isEmpty() || !isMember(groupId, incoming.sender())) {
      events.add(notAMember(groupId, incoming, "group key"));
      return;
    }
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

  /**
   * Whether the account is a member by this device's copy, catching up once with the group's signed
   * changes when it is not (or the group is not known here yet).
   */
  private boolean isMember(String groupId, UUID account) {
    if (groupId.isEmpty()) {
      return false;
    }
    if (roster.get(groupId).filter(LocalGroup::member).map(g -> g.isMember(account)).orElse(false)) {
      return true;
    }
    try {
      learned.addAll(roster.sync(server.get(), groupId));
    } catch (ServerException e) {
      if (e.status() == Status.FORBIDDEN) {
        roster.notMember(groupId);
        return false;
      }
      if (e.status() == Status.NOT_FOUND || e.status() == Status.BAD_REQUEST) {
        return false;
      }
      // Unknown right now: the envelope stays queued and is taken again later (on a new connection).
      throw new CheckUnavailable("could not check the group's membership: " + e.getMessage(), e);
    }
    return roster.get(groupId).filter(LocalGroup::member).map(g -> g.isMember(account)).orElse(false);
  }

  private static GroupWarningEvent notAMember(String groupId, Incoming incoming, String what) {
    return notAMember(groupId, incoming.senderPhone(), incoming.senderDevice(), what);
  }

  private static GroupWarningEvent notAMember(String groupId, String phone, int device, String what) {
    return new GroupWarningEvent(
        "not-a-member", groupId.isEmpty() ? null : groupId, phone,
        "refused a " + what + " from " + phone + " device " + device
            + (groupId.isEmpty()
                ? " that names no group"
                : ": they are not a member of group " + groupId + " by any admin's signed change"));
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
    if (history.add(entry, data.getAttachmentsList(), AttachmentStore.PENDING)) {
      events.add(
          ContentProcessor.event(entry, own ? ownPhone : incoming.senderPhone(), null)
              .withAttachments(AttachmentStore.arrived(data.getAttachmentsList())));
    }
  }
}
