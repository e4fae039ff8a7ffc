package org.parley.client;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.parley.client.messaging.ContentProcessor;
import org.parley.client.events.ClientEvent;
import org.parley.client.messaging.GroupChanges;
import org.parley.client.messaging.GroupRoster;
import org.parley.client.messaging.GroupSender;
import org.parley.client.messaging.MessageSender;
import org.parley.client.messaging.Resends;
import org.parley.client.net.ServerConnection;
import org.parley.client.store.AttachmentStore;
import org.parley.client.store.EventLog;
import org.parley.client.store.GroupStore;
import org.parley.client.store.GroupStore.LocalGroup;
import org.parley.client.store.LocalDevice;
import org.parley.client.store.MessageHistory;
import org.parley.client.store.ProfileStore;
import org.parley.protocol.PhoneNumbers;
import org.parley.protocol.wire.Content;
import org.parley.protocol.wire.DataMessage;
import org.parley.protocol.wire.ReadMark;
import org.parley.protocol.wire.ReadSync;
import org.parley.protocol.wire.SyncMessage;

/**
 * A device's group chats (docs/PROTOCOL.md §10): who is in each group is decided by signed changes, which this
 * device makes ({@link GroupChanges}) and checks ({@link GroupRoster}); it keeps its own verified copy
 * of each group, its own sender key per group, and the messages.
 */
public final class GroupChats {
  private final ProfileStore profile;
  private final LocalDevice local;
  private final GroupStore groups;
  private final GroupRoster roster;
  private final GroupChanges changes;
  private final GroupSender sender;
  private final MessageSender pairwise;
  private final MessageHistory history;
  private final EventLog log;
  private final Clock clock;
  private final Supplier<ServerConnection> server;
  private final Consumer<ClientEvent> events;
  private final Outbox outbox;
  private final Attachments attachments;

  GroupChats(
      ProfileStore profile,
      LocalDevice local,
      GroupStore groups,
      GroupRoster roster,
      GroupChanges changes,
      GroupSender sender,
      MessageSender pairwise,
      MessageHistory history,
      EventLog log,
      Clock clock,
      Supplier<ServerConnection> server,
      Consumer<ClientEvent> events,
      Outbox outbox,
      Attachments attachments) {
    this.profile = profile;
    this.local = local;
    this.groups = groups;
    this.roster = roster;
    this.changes = changes;
    this.events = events;
    this.sender = sender;
    this.pairwise = pairwise;
    this.history = history;
    this.log = log;
    this.clock = clock;
    this.server = server;
    this.outbox = outbox;
    this.attachments = attachments;
  }

  /** A group as this device knows it. */
  public record GroupView(String id, String name, long version, boolean admin, List<MemberView> members) {}

  public record MemberView(String phone, boolean admin) {}

  /** Creates a group with this account as its admin and the given numbers as members. */
  public GroupView create(String name, List<String> phones) {
    return view(changes.create(server.get(), name, normalized(phones)));
  }

  /** Adds a member (admins only). */
  public GroupView add(String groupId, String phone) {
    return add(groupId, List.of(phone));
  }

  /** Adds members (admins only), in one signed change: each member's devices take in one notice. */
  public GroupView add(String groupId, List<String> phones) {
    return view(changes.add(server.get(), groupId, normalized(phones)));
  }

  /** Removes a member (admins only); see {@link #remove(String, List)}. */
  public GroupView remove(String groupId, String phone) {
    return remove(groupId, List.of(phone));
  }

  /**
   * Removes members (admins only), in one signed change. This device's sender key for the group is
   * retired, so the removed members cannot read what is sent next; the other members' devices do the
   * same when they take in the signed change.
   */
  public GroupView remove(String groupId, List<String> phones) {
    return view(changes.remove(server.get(), groupId, normalized(phones)));
  }

  /** Renames a group (admins only). */
  public GroupView rename(String groupId, String name) {
    return view(changes.rename(server.get(), groupId, name));
  }

  /** Makes a member an admin, or no longer one (admins only); the last admin cannot step down. */
  public GroupView setAdmin(String groupId, String phone, boolean admin) {
    return setAdmin(groupId, List.of(phone), admin);
  }

  /** Makes members admins, or no longer admins (admins only), in one signed change. */
  public GroupView setAdmin(String groupId, List<String> phones, boolean admin) {
    return view(changes.setAdmin(server.get(), groupId, normalized(phones), admin));
  }

  private static List<String> normalized(List<String> phones) {
    return phones.stream().map(PhoneNumbers::normalize).toList();
  }

  /** Leaves a group; an admin who was the last one hands the role to the longest-standing member. */
  public void leave(String groupId) {
    changes.leave(server.get(), groupId);
  }

  /** This account's groups, each brought up to date with its signed changes. */
  public List<GroupView> list() {
    List<ClientEvent> learned = new ArrayList<>();
    try {
      List<GroupView> out = new ArrayList<>();
      for (LocalGroup group : roster.refreshAll(server.get(), learned)) {
        out.add(view(group));
      }
      return out;
    } finally {
      learned.forEach(events);
    }
  }

  /** A new message to a group: sent now, or kept in the outbox while the server cannot be reached. */
  public Device.SendResult sendText(String groupId, String body) {
    return send(groupId, body, List.of());
  }

  /**
   * A new message with files to a group: each file is uploaded once, whatever the group's size, and
   * the one sender-key message carries the pointers (docs/PROTOCOL.md §14).
   */
  Device.SendResult send(String groupId, String body, List<Attachments.Prepared> files) {
    DataMessage data =
        DataMessage.newBuilder()
            .setId(UUID.randomUUID().toString())
            .setBody(body)
            .setTimestamp(clock.millis())
            .setGroupId(groupId)
            .addAllAttachments(files.stream().map(Attachments.Prepared::pointer).toList())
            .build();
    attachments.recordOwn(local.account(), data.getId(), files);
    Device.SendResult result = outbox.send(null, groupId, data);
    attachments.carried(files);
    return result;
  }

  /**
   * Sends a message to every member's devices, and as sent to this account's other devices, and
   * records it as sent (a message that waited in the outbox goes from pending to sent).
   */
  Device.SendResult deliver(String groupId, DataMessage data) {
    long now = data.getTimestamp();
    Content content = Content.newBuilder().setData(data).build();
    GroupSender.Result result = sender.send(server.get(), groupId, content, now);
    MessageHistory.Entry entry =
        new MessageHistory.Entry(
            local.account(), data.getId(), local.deviceId(), null, groupId, true, data.getBody(), now,
            result.serverTimestamp(), Outbox.SENT);
    profile.transaction(c -> {
      // Kept a while, for a member's device that cannot decrypt it to ask for it again.
      new Resends(profile, clock).sent(now, null, groupId, content);
      if (!history.add(entry, data.getAttachmentsList(), AttachmentStore.PENDING)) {
        history.setOwnStatus(local.account(), data.getId(), Outbox.SENT, result.serverTimestamp());
      }
      log.append(ContentProcessor.event(entry, local.phone(), null).withAttachments(attachments.views(local.account(), data.getId())));
      return null;
    });
    return new Device.SendResult(data.getId(), now, result.serverTimestamp(), result.declined(), Outbox.SENT);
  }

  /**
   * Marks a group chat read up to now, here and on this account's other devices (read sync). No read
   * receipts go to the group: a thousand members need not learn who read what.
   */
  public int markRead(String groupId) {
    long now = clock.millis();
    int read = history.markRead(null, groupId, now).size();
    Content sync =
        Content.newBuilder()
            .setSync(
                SyncMessage.newBuilder()
                    .setRead(ReadSync.newBuilder().addMarks(ReadMark.newBuilder().setGroupId(groupId).setUpToTimestamp(now))))
            .build();
    pairwise.send(server.get(), List.of(new MessageSender.Part(local.account(), sync)), now, false);
    return read;
  }

  private GroupView view(LocalGroup group) {
    List<MemberView> members =
        group.members().stream().map(m -> new MemberView(m.phone(), m.admin())).toList();
    return new GroupView(group.id(), group.name(), group.version(), group.isAdmin(local.account()), members);
  }
}
