package org.parley.client;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;
import org.parley.client.messaging.ContentProcessor;
import org.parley.client.messaging.GroupRoster;
import org.parley.client.messaging.GroupSender;
import org.parley.client.messaging.MessageSender;
import org.parley.client.net.ServerConnection;
import org.parley.client.store.EventLog;
import org.parley.client.store.GroupStore;
import org.parley.client.store.GroupStore.LocalGroup;
import org.parley.client.store.LocalDevice;
import org.parley.client.store.MessageHistory;
import org.parley.client.store.ProfileStore;
import org.parley.protocol.PhoneNumbers;
import org.parley.protocol.wire.AddMembers;
import org.parley.protocol.wire.Content;
import org.parley.protocol.wire.CreateGroup;
import org.parley.protocol.wire.DataMessage;
import org.parley.protocol.wire.LeaveGroup;
import org.parley.protocol.wire.ReadMark;
import org.parley.protocol.wire.ReadSync;
import org.parley.protocol.wire.RemoveMember;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.SyncMessage;

/**
 * A device's group chats (DESIGN.md §9): the server keeps who is in each group; this device keeps
 * what it last heard about them, its own sender key per group, and the messages.
 */
public final class GroupChats {
  private final ProfileStore profile;
  private final LocalDevice local;
  private final GroupStore groups;
  private final GroupRoster roster;
  private final GroupSender sender;
  private final MessageSender pairwise;
  private final MessageHistory history;
  private final EventLog log;
  private final Clock clock;
  private final Supplier<ServerConnection> server;

  GroupChats(
      ProfileStore profile,
      LocalDevice local,
      GroupStore groups,
      GroupRoster roster,
      GroupSender sender,
      MessageSender pairwise,
      MessageHistory history,
      EventLog log,
      Clock clock,
      Supplier<ServerConnection> server) {
    this.profile = profile;
    this.local = local;
    this.groups = groups;
    this.roster = roster;
    this.sender = sender;
    this.pairwise = pairwise;
    this.history = history;
    this.log = log;
    this.clock = clock;
    this.server = server;
  }

  /** A group as this device knows it. */
  public record GroupView(String id, String name, long version, boolean admin, List<MemberView> members) {}

  public record MemberView(String phone, boolean admin) {}

  /** Creates a group with this account as its admin and the given numbers as members. */
  public GroupView create(String name, List<String> phones) {
    CreateGroup.Builder create = CreateGroup.newBuilder().setName(name);
    phones.forEach(p -> create.addMemberPhones(PhoneNumbers.normalize(p)));
    return view(roster.store(server.get().call(Request.newBuilder().setCreateGroup(create)).getGroup()));
  }

  /** Adds a member (admins only). */
  public GroupView add(String groupId, String phone) {
    AddMembers add = AddMembers.newBuilder().setGroupId(groupId).addMemberPhones(PhoneNumbers.normalize(phone)).build();
    return view(roster.store(server.get().call(Request.newBuilder().setAddMembers(add)).getGroup()));
  }

  /**
   * Removes a member (admins only). This device's sender key for the group is retired, so the
   * removed member cannot read what is sent next; the other members' devices do the same when the
   * server tells them.
   */
  public GroupView remove(String groupId, String phone) {
    RemoveMember remove =
        RemoveMember.newBuilder().setGroupId(groupId).setMemberPhone(PhoneNumbers.normalize(phone)).build();
    LocalGroup group = roster.store(server.get().call(Request.newBuilder().setRemoveMember(remove)).getGroup());
    if (group.member()) {
      groups.retireSenderKey(groupId);
    }
    return view(group);
  }

  /** Leaves a group; an admin who was the last one hands the role to the longest-standing member. */
  public void leave(String groupId) {
    var left =
        server.get().call(Request.newBuilder().setLeaveGroup(LeaveGroup.newBuilder().setGroupId(groupId))).getGroup();
    roster.left(groupId, left.getName(), left.getVersion());
  }

  /** This account's groups, as the server lists them now. */
  public List<GroupView> list() {
    List<GroupView> out = new ArrayList<>();
    for (LocalGroup group : roster.refreshAll(server.get())) {
      out.add(view(group));
    }
    return out;
  }

  /** Sends a text to every member's devices, and as sent to this account's other devices. */
  public Device.SendResult sendText(String groupId, String body) {
    long now = clock.millis();
    DataMessage data =
        DataMessage.newBuilder()
            .setId(UUID.randomUUID().toString())
            .setBody(body)
            .setTimestamp(now)
            .setGroupId(groupId)
            .build();
    GroupSender.Result result =
        sender.send(server.get(), groupId, Content.newBuilder().setData(data).build(), now);
    MessageHistory.Entry entry =
        new MessageHistory.Entry(
            local.account(), data.getId(), local.deviceId(), null, groupId, true, body, now,
            result.serverTimestamp(), "sent");
    profile.transaction(c -> {
      history.add(entry);
      log.append(ContentProcessor.event(entry, local.phone(), null));
      return null;
    });
    return new Device.SendResult(data.getId(), now, result.serverTimestamp(), result.declined());
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
