package org.parley.server.groups;

import com.google.protobuf.ByteString;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.parley.protocol.wire.AddMembers;
import org.parley.protocol.wire.CiphertextType;
import org.parley.protocol.wire.CreateGroup;
import org.parley.protocol.wire.Envelope;
import org.parley.protocol.wire.Group;
import org.parley.protocol.wire.GroupChange;
import org.parley.protocol.wire.GroupList;
import org.parley.protocol.wire.GroupMember;
import org.parley.protocol.wire.GroupRecipient;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.Status;
import org.parley.server.Limits;
import org.parley.server.keys.KeyService;
import org.parley.server.messages.GroupFanout;
import org.parley.server.messages.GroupMessageService;
import org.parley.server.store.Account;
import org.parley.server.store.Accounts;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.DeviceRecord;
import org.parley.server.store.GroupRecord;
import org.parley.server.store.Groups;
import org.parley.server.store.Groups.MemberChange;
import org.parley.server.store.NewEnvelope;
import org.parley.server.transport.Access;
import org.parley.server.transport.ApiException;
import org.parley.server.transport.RequestRouter;
import org.parley.server.transport.Session;

/**
 * Group membership (DESIGN.md §9): create, add and remove (admins only), leave, get and list (members
 * only). Every change is announced to every device of every member, and to the devices of whoever
 * was removed, as a server-authored envelope queued like any other; it is committed before the
 * caller is answered, so no member device can miss a change that happened.
 */
public final class GroupService {
  static final int MAX_NAME_LENGTH = 100;
  /** A change races another admin's at most this often before the caller is asked to try again. */
  private static final int ATTEMPTS = 3;

  private final Accounts accounts;
  private final Groups groups;
  private final GroupFanout fanout;
  private final Clock clock;
  private final Limits limits;

  public GroupService(Accounts accounts, Groups groups, GroupFanout fanout, Clock clock, Limits limits) {
    this.accounts = accounts;
    this.groups = groups;
    this.fanout = fanout;
    this.clock = clock;
    this.limits = limits;
  }

  public void routes(RequestRouter router) {
    router
        .on(Request.BodyCase.CREATE_GROUP, Access.DEVICE, (s, r) -> create(s, r.getCreateGroup()))
        .on(Request.BodyCase.ADD_MEMBERS, Access.DEVICE, (s, r) -> add(s, r.getAddMembers()))
        .on(Request.BodyCase.REMOVE_MEMBER, Access.DEVICE,
            (s, r) -> remove(s, r.getRemoveMember().getGroupId(), r.getRemoveMember().getMemberPhone()))
        .on(Request.BodyCase.LEAVE_GROUP, Access.DEVICE, (s, r) -> leave(s, r.getLeaveGroup().getGroupId()))
        .on(Request.BodyCase.GET_GROUP, Access.DEVICE, (s, r) -> get(s, r.getGetGroup().getGroupId()))
        .on(Request.BodyCase.LIST_GROUPS, Access.DEVICE, (s, r) -> list(s));
  }

  private CompletableFuture<Response.Builder> create(Session session, CreateGroup request) throws ApiException {
    String name = request.getName().strip();
    if (name.isEmpty() || name.length() > MAX_NAME_LENGTH) {
      throw new ApiException(Status.BAD_REQUEST, "a group needs a name of 1 to " + MAX_NAME_LENGTH + " characters");
    }
    UUID creator = session.address().account();
    Set<UUID> members = new LinkedHashSet<>();
    members.add(creator);
    members.addAll(resolve(request.getMemberPhonesList()));
    checkSize(members.size());
    GroupRecord group = groups.create(UUID.randomUUID(), name, creator, members, clock.millis());
    List<UUID> added = group.members().stream().map(GroupRecord.Member::account).toList();
    return announce(session, group, added, List.of());
  }

  private CompletableFuture<Response.Builder> add(Session session, AddMembers request) throws ApiException {
    List<UUID> wanted = resolve(request.getMemberPhonesList());
    UUID id = GroupMessageService.groupId(request.getGroupId());
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      GroupRecord group = memberOf(session, id);
      requireAdmin(session, group, "add members");
      List<UUID> added = wanted.stream().distinct().filter(a -> !group.isMember(a)).toList();
      if (added.isEmpty()) {
        return RequestRouter.ok(Response.newBuilder().setGroup(toWire(group)));
      }
      checkSize(group.members().size() + added.size());
      Optional<GroupRecord> changed = groups.change(id, group.version(), MemberChange.adding(added), clock.millis());
      if (changed.isPresent()) {
        return announce(session, changed.get(), added, List.of());
      }
    }
    throw changedMeanwhile();
  }

  private CompletableFuture<Response.Builder> remove(Session session, String groupId, String phone)
      throws ApiException {
    UUID target = KeyService.resolve(accounts, "", phone).id();
    if (target.equals(session.address().account())) {
      return leave(session, groupId);
    }
    UUID id = GroupMessageService.groupId(groupId);
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      GroupRecord group = memberOf(session, id);
      requireAdmin(session, group, "remove members");
      GroupRecord.Member removed =
          group.member(target).orElseThrow(() -> new ApiException(Status.NOT_FOUND, phone + " is not a member of this group"));
      Optional<GroupRecord> changed = groups.change(id, group.version(), MemberChange.removing(target), clock.millis());
      if (changed.isPresent()) {
        return announce(session, changed.get(), List.of(), List.of(removed));
      }
    }
    throw changedMeanwhile();
  }

  private CompletableFuture<Response.Builder> leave(Session session, String groupId) throws ApiException {
    UUID id = GroupMessageService.groupId(groupId);
    UUID leaver = session.address().account();
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      GroupRecord group = memberOf(session, id);
      List<GroupRecord.Member> remaining = group.members().stream().filter(m -> !m.account().equals(leaver)).toList();
      // A group is never left without an admin: the longest-standing member takes over.
      List<UUID> promote =
          remaining.isEmpty() || remaining.stream().anyMatch(GroupRecord.Member::admin)
              ? List.of()
              : List.of(remaining.getFirst().account());
      Optional<GroupRecord> changed =
          groups.change(id, group.version(), new MemberChange(List.of(), List.of(leaver), promote), clock.millis());
      if (changed.isPresent()) {
        return announce(session, changed.get(), List.of(), List.of(group.member(leaver).orElseThrow()));
      }
    }
    throw changedMeanwhile();
  }

  private CompletableFuture<Response.Builder> get(Session session, String groupId) throws ApiException {
    GroupRecord group = memberOf(session, GroupMessageService.groupId(groupId));
    return RequestRouter.ok(Response.newBuilder().setGroup(toWire(group)));
  }

  private CompletableFuture<Response.Builder> list(Session session) {
    GroupList.Builder out = GroupList.newBuilder();
    for (GroupRecord group : groups.ofAccount(session.address().account())) {
      out.addGroups(toWire(group));
    }
    return RequestRouter.ok(Response.newBuilder().setGroupList(out));
  }

  /**
   * Tells every member device, except the one that made the change (it gets the answer), and every
   * device of a removed member (with the group's name only: its members are no longer its business).
   */
  private CompletableFuture<Response.Builder> announce(
      Session session, GroupRecord group, Collection<UUID> added, List<GroupRecord.Member> removed) {
    List<DeviceRecord> devices = group.members().isEmpty() ? List.of() : groups.devices(group.id());
    Group wire = toWire(group, devices);
    GroupChange.Builder change =
        GroupChange.newBuilder()
            .setGroup(wire)
            .setActorAccount(session.address().account().toString())
            .setActorPhone(session.phone());
    added.forEach(a -> change.addAddedAccounts(a.toString()));
    for (GroupRecord.Member member : removed) {
      change.addRemovedAccounts(member.account().toString()).addRemovedPhones(member.phone());
    }
    long now = clock.millis();
    List<DeviceAddress> members = new ArrayList<>();
    for (DeviceRecord device : devices) {
      if (!device.address().equals(session.address())) {
        members.add(device.address());
      }
    }
    List<NewEnvelope> envelopes = new ArrayList<>(fanout.copies(notice(session, group, change.build(), now), members));
    List<DeviceAddress> formerMembers = new ArrayList<>();
    for (GroupRecord.Member member : removed) {
      for (DeviceRecord device : accounts.devices(member.account())) {
        if (!device.address().equals(session.address())) {
          formerMembers.add(device.address());
        }
      }
    }
    GroupChange toFormer =
        change.clone()
            .setGroup(Group.newBuilder().setGroupId(wire.getGroupId()).setName(wire.getName()).setVersion(wire.getVersion()))
            .build();
    envelopes.addAll(fanout.copies(notice(session, group, toFormer, now), formerMembers));
    return fanout.commit(envelopes).thenApply(stored -> Response.newBuilder().setGroup(wire));
  }

  private static Envelope notice(Session session, GroupRecord group, GroupChange change, long now) {
    return Envelope.newBuilder()
        .setSourceAccount(session.address().account().toString())
        .setSourcePhone(session.phone())
        .setSourceDevice(session.address().device())
        .setType(CiphertextType.SERVER)
        .setClientTimestamp(now)
        .setServerTimestamp(now)
        .setContent(ByteString.copyFrom(change.toByteArray()))
        .setGroupId(group.id().toString())
        .build();
  }

  /** The group, if the caller is a member; non-members learn nothing about who is in it. */
  private GroupRecord memberOf(Session session, UUID id) throws ApiException {
    GroupRecord group =
        groups.byId(id).orElseThrow(() -> new ApiException(Status.NOT_FOUND, "there is no group " + id));
    if (!group.isMember(session.address().account())) {
      throw new ApiException(
          Status.FORBIDDEN, "you are not a member of group " + id + "; ask one of its admins to add you");
    }
    return group;
  }

  private static void requireAdmin(Session session, GroupRecord group, String what) throws ApiException {
    if (!group.isAdmin(session.address().account())) {
      throw new ApiException(
          Status.FORBIDDEN, "only an admin of group " + group.id() + " may " + what + "; ask one of its admins");
    }
  }

  private void checkSize(int members) throws ApiException {
    if (members > limits.maxGroupMembers()) {
      throw new ApiException(
          Status.LIMIT_REACHED,
          "a group may have at most " + limits.maxGroupMembers() + " members; this would make " + members);
    }
  }

  private List<UUID> resolve(List<String> phones) throws ApiException {
    if (phones.size() > limits.maxGroupMembers()) {
      throw new ApiException(
          Status.LIMIT_REACHED, "a group may have at most " + limits.maxGroupMembers() + " members");
    }
    List<UUID> out = new ArrayList<>(phones.size());
    for (String phone : phones) {
      Account account = KeyService.resolve(accounts, "", phone);
      out.add(account.id());
    }
    return out;
  }

  private static ApiException changedMeanwhile() {
    return new ApiException(Status.CONFLICT, "the group kept changing while this change was made; try again");
  }

  private Group toWire(GroupRecord group) {
    return toWire(group, groups.devices(group.id()));
  }

  static Group toWire(GroupRecord group, List<DeviceRecord> devices) {
    Group.Builder out =
        Group.newBuilder().setGroupId(group.id().toString()).setName(group.name()).setVersion(group.version());
    for (GroupRecord.Member member : group.members()) {
      out.addMembers(
          GroupMember.newBuilder()
              .setAccountId(member.account().toString())
              .setPhone(member.phone())
              .setAdmin(member.admin()));
    }
    for (DeviceRecord device : devices) {
      out.addDevices(
          GroupRecipient.newBuilder()
              .setAccountId(device.account().toString())
              .setDeviceId(device.deviceId())
              .setRegistrationId(device.registrationId()));
    }
    return out.build();
  }
}
