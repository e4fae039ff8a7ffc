package org.parley.server.groups;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.parley.protocol.GroupChangeException;
import org.parley.protocol.GroupChangeSignatures;
import org.parley.protocol.GroupChangeSignatures.Membership;
import org.parley.protocol.wire.CiphertextType;
import org.parley.protocol.wire.Envelope;
import org.parley.protocol.wire.Group;
import org.parley.protocol.wire.GroupChange;
import org.parley.protocol.wire.GroupList;
import org.parley.protocol.wire.GroupMember;
import org.parley.protocol.wire.GroupRecipient;
import org.parley.protocol.wire.MembershipChange;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.SignedMembershipChange;
import org.parley.protocol.wire.Status;
import org.parley.server.Limits;
import org.parley.server.limits.Throttle;
import org.parley.server.keys.KeyValidator;
import org.parley.server.messages.GroupFanout;
import org.parley.server.messages.GroupMessageService;
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
 * Group membership (DESIGN.md §9). The server keeps who is in each group, but it never decides it:
 * every change (the creation included) arrives signed by the member device that makes it, and is
 * applied only if it follows from the stored group by the rules every member checks
 * ({@link GroupChangeSignatures}). The signed change is kept and announced to every device of every
 * member, and to the devices of whoever was removed, as an envelope queued like any other; it is
 * committed before the caller is answered, so no member device can miss a change that happened.
 */
public final class GroupService {
  /** Signed changes per answer to a member catching up; it asks again from the last one. */
  static final int CHANGES_PER_PAGE = 64;

  private final Accounts accounts;
  private final Groups groups;
  private final GroupFanout fanout;
  private final Clock clock;
  private final Limits limits;
  private final Throttle throttle;

  public GroupService(
      Accounts accounts, Groups groups, GroupFanout fanout, Clock clock, Limits limits, Throttle throttle) {
    this.throttle = throttle;
    this.accounts = accounts;
    this.groups = groups;
    this.fanout = fanout;
    this.clock = clock;
    this.limits = limits;
  }

  public void routes(RequestRouter router) {
    router
        .on(Request.BodyCase.CREATE_GROUP, Access.DEVICE, (s, r) -> create(s, r.getCreateGroup().getChange()))
        .on(Request.BodyCase.CHANGE_GROUP, Access.DEVICE, (s, r) -> change(s, r.getChangeGroup().getChange()))
        .on(Request.BodyCase.GET_GROUP, Access.DEVICE,
            (s, r) -> get(s, r.getGetGroup().getGroupId(), r.getGetGroup().getSinceVersion()))
        .on(Request.BodyCase.LIST_GROUPS, Access.DEVICE, (s, r) -> list(s));
  }

  private CompletableFuture<Response.Builder> create(Session session, SignedMembershipChange signed)
      throws ApiException {
    // Each creation is fanned out to every member's devices: an account creates only so many (issue 11).
    throttle.take(limits.rates().groupCreations(), session.address().account().toString(), "groups created");
    MembershipChange change = signedBy(session, signed);
    Membership created;
    try {
      created = GroupChangeSignatures.creation(change);
    } catch (GroupChangeException e) {
      throw new ApiException(Status.BAD_REQUEST, "this group creation is refused: " + e.getMessage());
    }
    checkSize(created.members().size());
    requireRegistered(created.members());
    UUID id = UUID.fromString(change.getGroupId());
    GroupRecord group =
        groups
            .create(id, change.getName(), session.address().account(), created.members(), signed.toByteArray(), clock.millis())
            .orElseThrow(() -> new ApiException(Status.CONFLICT, "a group " + id + " exists already; make a new id"));
    return announce(session, group, signed, change);
  }

  private CompletableFuture<Response.Builder> change(Session session, SignedMembershipChange signed)
      throws ApiException {
    MembershipChange change = signedBy(session, signed);
    UUID id = GroupMessageService.groupId(change.getGroupId());
    GroupRecord group = memberOf(session, id);
    if (change.getVersion() != group.version() + 1) {
      throw stale(group);
    }
    Membership after;
    try {
      after = GroupChangeSignatures.successor(membership(group), change);
    } catch (GroupChangeException e) {
      throw new ApiException(Status.FORBIDDEN, "this change to group " + id + " is refused: " + e.getMessage());
    }
    List<UUID> added = after.members().stream().filter(a -> !group.isMember(a)).toList();
    List<UUID> removed = group.members().stream().map(GroupRecord.Member::account).filter(a -> !after.isMember(a)).toList();
    checkSize(after.members().size());
    requireRegistered(added);
    MemberChange stored = new MemberChange(added, removed, after.admins(), change.getName());
    GroupRecord changed =
        groups
            .change(id, group.version(), stored, signed.toByteArray(), clock.millis())
            .orElseThrow(() -> stale(groups.byId(id).orElse(group)));
    List<GroupRecord.Member> former = group.members().stream().filter(m -> removed.contains(m.account())).toList();
    return announce(session, changed, signed, change, former);
  }

  private CompletableFuture<Response.Builder> get(Session session, String groupId, long sinceVersion)
      throws ApiException {
    GroupRecord group = memberOf(session, GroupMessageService.groupId(groupId));
    Group.Builder out = toWire(group, groups.devices(group.id())).toBuilder();
    for (byte[] change : groups.changes(group.id(), sinceVersion, CHANGES_PER_PAGE)) {
      out.addChanges(parseSigned(change));
    }
    return RequestRouter.ok(Response.newBuilder().setGroup(out));
  }

  private CompletableFuture<Response.Builder> list(Session session) {
    GroupList.Builder out = GroupList.newBuilder();
    for (GroupRecord group : groups.ofAccount(session.address().account())) {
      out.addGroups(withLatest(toWire(group, groups.devices(group.id())), group));
    }
    return RequestRouter.ok(Response.newBuilder().setGroupList(out));
  }

  /** Parses the change and checks that the calling device signed it, with its own identity key. */
  private static MembershipChange signedBy(Session session, SignedMembershipChange signed) throws ApiException {
    MembershipChange change;
    try {
      change = GroupChangeSignatures.parse(signed);
    } catch (GroupChangeException e) {
      throw new ApiException(Status.BAD_REQUEST, "this group change is refused: " + e.getMessage());
    }
    DeviceAddress caller = session.address();
    if (!change.getSignerAccount().equals(caller.account().toString()) || change.getSignerDevice() != caller.device()) {
      throw new ApiException(Status.BAD_SIGNATURE, "a group change must be signed by the device that sends it");
    }
    if (!GroupChangeSignatures.verifySignature(signed, KeyValidator.identityKey(session.device().identityKey()))) {
      throw new ApiException(Status.BAD_SIGNATURE, "the group change is not signed by this device's identity key");
    }
    return change;
  }

  private CompletableFuture<Response.Builder> announce(
      Session session, GroupRecord group, SignedMembershipChange signed, MembershipChange change) {
    return announce(session, group, signed, change, List.of());
  }

  /**
   * Tells every member device, except the one that made the change (it gets the answer), and every
   * device of a removed member (with the group's name only: its members are no longer its business).
   *
   * <p>A notice carries what a member needs to check and apply the change: the signed change itself,
   * and the numbers of the members it may not know yet — every member's for a device whose account the
   * change adds (a creation adds everyone), only the added ones' and the signer's for the others (they
   * know the rest). Never the group's devices nor its signed history: copied into one envelope per
   * member device, those made a 1,024-member group's creation write 540 MB (2,047 × 265 KB); a member
   * that needs the full state asks for it ({@code GetGroup}, paged). The signed change itself names
   * every member (about 40 bytes each), so a change still writes devices × members bytes in all.
   */
  private CompletableFuture<Response.Builder> announce(
      Session session, GroupRecord group, SignedMembershipChange signed, MembershipChange change,
      List<GroupRecord.Member> removed) {
    List<DeviceRecord> devices = group.members().isEmpty() ? List.of() : groups.devices(group.id());
    Group wire = toWire(group, devices).toBuilder().addChanges(signed).build();
    Set<String> added = new HashSet<>(change.getVersion() == 1 ? change.getMembersList() : change.getAddedList());
    String signer = session.address().account().toString();
    Group.Builder brief = Group.newBuilder().setGroupId(wire.getGroupId()).setName(wire.getName()).setVersion(wire.getVersion());
    Group.Builder known = brief.clone();
    for (GroupMember member : wire.getMembersList()) {
      if (added.contains(member.getAccountId()) || member.getAccountId().equals(signer)) {
        known.addMembers(member);
      }
    }
    GroupChange.Builder notice =
        GroupChange.newBuilder()
            .setActorAccount(signer)
            .setActorPhone(session.phone())
            .setSigned(signed);
    for (GroupRecord.Member member : removed) {
      notice.addRemovedAccounts(member.account().toString()).addRemovedPhones(member.phone());
    }
    long now = clock.millis();
    List<DeviceAddress> newcomers = new ArrayList<>();
    List<DeviceAddress> others = new ArrayList<>();
    for (DeviceRecord device : devices) {
      if (!device.address().equals(session.address())) {
        (added.contains(device.account().toString()) ? newcomers : others).add(device.address());
      }
    }
    List<NewEnvelope> envelopes = new ArrayList<>();
    if (!newcomers.isEmpty()) {
      GroupChange toNewcomers = notice.clone().setGroup(brief.clone().addAllMembers(wire.getMembersList())).build();
      envelopes.addAll(fanout.copies(envelope(session, group, toNewcomers, now), newcomers));
    }
    if (!others.isEmpty()) {
      envelopes.addAll(fanout.copies(envelope(session, group, notice.clone().setGroup(known).build(), now), others));
    }
    List<DeviceAddress> formerMembers = new ArrayList<>();
    for (GroupRecord.Member member : removed) {
      for (DeviceRecord device : accounts.devices(member.account())) {
        if (!device.address().equals(session.address())) {
          formerMembers.add(device.address());
        }
      }
    }
    if (!formerMembers.isEmpty()) {
      envelopes.addAll(fanout.copies(envelope(session, group, notice.clone().setGroup(brief).build(), now), formerMembers));
    }
    return fanout.commit(envelopes).thenApply(stored -> Response.newBuilder().setGroup(wire));
  }

  private static Envelope envelope(Session session, GroupRecord group, GroupChange change, long now) {
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

  private void checkSize(int members) throws ApiException {
    if (members > limits.maxGroupMembers()) {
      throw new ApiException(
          Status.LIMIT_REACHED,
          "a group may have at most " + limits.maxGroupMembers() + " members; this would make " + members);
    }
  }

  private void requireRegistered(List<UUID> members) throws ApiException {
    for (UUID account : members) {
      if (accounts.byId(account).isEmpty() || accounts.devices(account).isEmpty()) {
        throw new ApiException(Status.NOT_FOUND, "account " + account + " is not registered on this server");
      }
    }
  }

  private static ApiException stale(GroupRecord group) {
    return new ApiException(
        Status.STALE_VERSION,
        "group " + group.id() + " is at version " + group.version() + "; catch up with its changes and try again");
  }

  static Membership membership(GroupRecord group) {
    Set<UUID> admins = new HashSet<>();
    List<UUID> members = new ArrayList<>();
    for (GroupRecord.Member member : group.members()) {
      members.add(member.account());
      if (member.admin()) {
        admins.add(member.account());
      }
    }
    return new Membership(group.id().toString(), group.version(), group.name(), members, admins);
  }

  private Group withLatest(Group group, GroupRecord record) {
    List<byte[]> latest = groups.changes(record.id(), record.version() - 1, 1);
    return latest.isEmpty() ? group : group.toBuilder().addChanges(parseSigned(latest.getFirst())).build();
  }

  private static SignedMembershipChange parseSigned(byte[] stored) {
    try {
      return SignedMembershipChange.parseFrom(stored);
    } catch (InvalidProtocolBufferException e) {
      // Kept as it was checked; what a member cannot parse it refuses, so pass it on as it is.
      return SignedMembershipChange.newBuilder().setChange(ByteString.copyFrom(stored)).build();
    }
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
