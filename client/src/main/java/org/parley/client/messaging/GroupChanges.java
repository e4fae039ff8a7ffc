package org.parley.client.messaging;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Function;
import org.parley.client.ClientException;
import org.parley.client.events.ClientEvent;
import org.parley.client.net.ServerConnection;
import org.parley.client.net.ServerException;
import org.parley.client.store.GroupStore.LocalGroup;
import org.parley.protocol.DisplayNames;
import org.parley.protocol.GroupChangeSignatures;
import org.parley.protocol.GroupChangeSignatures.Membership;
import org.parley.protocol.wire.ChangeGroup;
import org.parley.protocol.wire.CreateGroup;
import org.parley.protocol.wire.MembershipChange;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.SignedMembershipChange;
import org.parley.protocol.wire.Status;
import org.signal.libsignal.protocol.IdentityKeyPair;

/**
 * Makes membership changes (DESIGN.md §9): each one is worked out from this device's own verified
 * copy of the group, signed with this device's identity key, and submitted; the server only applies
 * and forwards it. When the server answers that the group moved on meanwhile, this device catches up
 * with the signed changes it missed and works the change out again.
 */
public final class GroupChanges {
  /** A change that keeps meeting newer versions is worked out again at most this often in all. */
  private static final int ATTEMPTS = 3;

  private final GroupRoster roster;
  private final DeviceDirectory directory;
  private final IdentityKeyPair identity;
  private final UUID ownAccount;
  private final int ownDevice;
  private final Clock clock;
  private final Consumer<ClientEvent> events;

  public GroupChanges(
      GroupRoster roster,
      DeviceDirectory directory,
      IdentityKeyPair identity,
      UUID ownAccount,
      int ownDevice,
      Clock clock,
      Consumer<ClientEvent> events) {
    this.roster = roster;
    this.directory = directory;
    this.identity = identity;
    this.ownAccount = ownAccount;
    this.ownDevice = ownDevice;
    this.clock = clock;
    this.events = events;
  }

  /** A new group with this account as its only admin; the numbers must be registered. */
  public LocalGroup create(ServerConnection server, String name, List<String> phones) {
    if (name.isBlank() || name.strip().length() > GroupChangeSignatures.MAX_NAME_LENGTH) {
      throw new ClientException(
          "BAD_REQUEST", "a group needs a name of 1 to " + GroupChangeSignatures.MAX_NAME_LENGTH + " characters", null);
    }
    plain(name.strip());
    Set<UUID> members = new LinkedHashSet<>();
    members.add(ownAccount);
    for (String phone : phones) {
      members.add(resolve(server, phone));
    }
    MembershipChange creation = change(UUID.randomUUID().toString(), 1, name.strip(), members, Set.of(ownAccount)).build();
    Response response =
        server.call(Request.newBuilder().setCreateGroup(CreateGroup.newBuilder().setChange(sign(creation))));
    return roster.applyOwn(creation, response.getGroup());
  }

  /**
   * Adds members (admins only) in one signed change, however many: every member's devices take in one
   * notice, not one per newcomer. Members already in the group are left as they are.
   */
  public LocalGroup add(ServerConnection server, String groupId, List<String> phones) {
    Set<UUID> accounts = resolveAll(server, phones);
    return submit(server, groupId, "add members", group -> {
      Set<UUID> members = new LinkedHashSet<>(group.membership().members());
      MembershipChange.Builder change = next(group, List.of(), Set.of());
      for (UUID account : accounts) {
        if (members.add(account)) {
          change.addAdded(account.toString());
        }
      }
      return change.getAddedCount() == 0 ? null : withMembers(change, members, group.membership().admins());
    });
  }

  /**
   * Removes members (admins only) in one signed change; removing this account is leaving, after the
   * others are removed.
   */
  public LocalGroup remove(ServerConnection server, String groupId, List<String> phones) {
    Set<UUID> accounts = resolveAll(server, phones);
    boolean leaving = accounts.remove(ownAccount);
    if (accounts.isEmpty()) {
      if (!leaving) {
        throw new IllegalArgumentException("name a member to remove");
      }
      return leave(server, groupId);
    }
    LocalGroup removed = submit(server, groupId, "remove members", group -> {
      Set<UUID> members = new LinkedHashSet<>(group.membership().members());
      Set<UUID> admins = new HashSet<>(group.membership().admins());
      MembershipChange.Builder change = next(group, List.of(), Set.of());
      for (UUID account : accounts) {
        if (!members.remove(account)) {
          throw new ClientException("NOT_FOUND", phoneOf(phones, account) + " is not a member of group " + groupId, null);
        }
        admins.remove(account);
        change.addRemoved(account.toString());
      }
      return withMembers(change, members, admins);
    });
    return leaving ? leave(server, groupId) : removed;
  }

  /** Renames the group (admins only); the same name again changes nothing. */
  public LocalGroup rename(ServerConnection server, String groupId, String name) {
    String wanted = name == null ? "" : name.strip();
    if (wanted.isEmpty() || wanted.length() > GroupChangeSignatures.MAX_NAME_LENGTH) {
      throw new ClientException(
          "BAD_REQUEST", "a group needs a name of 1 to " + GroupChangeSignatures.MAX_NAME_LENGTH + " characters", null);
    }
    plain(wanted);
    return submit(server, groupId, "rename it", group -> {
      if (group.name().equals(wanted)) {
        return null;
      }
      return change(group.id(), group.version() + 1, wanted, group.membership().members(), group.membership().admins());
    });
  }

  /**
   * Makes members admins, or no longer admins (admins only), in one signed change; what is so already
   * changes nothing. The last admin cannot step down: a group with members needs one (leaving hands
   * the role on instead).
   */
  public LocalGroup setAdmin(ServerConnection server, String groupId, List<String> phones, boolean admin) {
    Set<UUID> accounts = resolveAll(server, phones);
    return submit(server, groupId, admin ? "make members admins" : "revoke an admin", group -> {
      Membership now = group.membership();
      Set<UUID> members = new HashSet<>(now.members());
      Set<UUID> admins = new HashSet<>(now.admins());
      for (UUID account : accounts) {
        if (!members.contains(account)) {
          throw new ClientException("NOT_FOUND", phoneOf(phones, account) + " is not a member of group " + groupId, null);
        }
        if (admin) {
          admins.add(account);
        } else {
          admins.remove(account);
        }
      }
      if (admins.isEmpty()) {
        String who =
            phones.size() == 1 ? phones.getFirst() + " is the only admin" : String.join(", ", phones) + " are its only admins";
        throw new ClientException(
            "LAST_ADMIN", who + " of group " + groupId + "; make another member an admin first", null);
      }
      return admins.equals(now.admins()) ? null : next(group, now.members(), admins);
    });
  }

  /** Leaves the group; a last admin who leaves hands the role to the longest-standing member. */
  public LocalGroup leave(ServerConnection server, String groupId) {
    return submit(server, groupId, null, group -> {
      List<UUID> members = new ArrayList<>(group.membership().members());
      members.remove(ownAccount);
      Set<UUID> admins = new HashSet<>(group.membership().admins());
      admins.remove(ownAccount);
      if (admins.isEmpty() && !members.isEmpty()) {
        admins.add(members.getFirst());
      }
      return next(group, members, admins).addRemoved(ownAccount.toString());
    });
  }

  /**
   * Works the change out from the current copy, signs and submits it; on "stale version" catches up
   * and tries again. {@code make} answers null when there is nothing to change.
   *
   * @param adminOnly what only an admin may do (said when refusing), or null for what any member may
   */
  private LocalGroup submit(
      ServerConnection server, String groupId, String adminOnly, Function<LocalGroup, MembershipChange.Builder> make) {
    ServerException last = null;
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      LocalGroup group = roster.get(groupId).filter(LocalGroup::member).orElseGet(() -> refresh(server, groupId));
      if (adminOnly != null && !group.isAdmin(ownAccount)) {
        // This device may not have taken in the change that made this account an admin yet.
        group = refresh(server, groupId);
        if (!group.isAdmin(ownAccount)) {
          throw new ClientException(
              "NOT_ADMIN", "only an admin of group " + groupId + " may " + adminOnly + "; ask one of its admins", null);
        }
      }
      MembershipChange.Builder next = make.apply(group);
      if (next == null) {
        return group;
      }
      MembershipChange change = next.build();
      try {
        Response response =
            server.call(Request.newBuilder().setChangeGroup(ChangeGroup.newBuilder().setChange(sign(change))));
        return roster.applyOwn(change, response.getGroup());
      } catch (ServerException e) {
        if (e.status() != Status.STALE_VERSION) {
          throw e;
        }
        last = e;
        refresh(server, groupId);
      }
    }
    throw new ClientException(
        "CONFLICT", "group " + groupId + " kept changing while this change was made; try again", last);
  }

  private LocalGroup refresh(ServerConnection server, String groupId) {
    List<ClientEvent> learned = new ArrayList<>();
    try {
      return roster.refresh(server, groupId, learned);
    } finally {
      learned.forEach(events);
    }
  }

  private MembershipChange.Builder next(LocalGroup group, List<UUID> members, Set<UUID> admins) {
    return change(group.id(), group.version() + 1, group.name(), members, admins);
  }

  private MembershipChange.Builder change(String groupId, long version, String name, Iterable<UUID> members, Set<UUID> admins) {
    MembershipChange.Builder out =
        MembershipChange.newBuilder()
            .setGroupId(groupId)
            .setVersion(version)
            .setName(name)
            .setSignerAccount(ownAccount.toString())
            .setSignerDevice(ownDevice)
            .setIssuedAt(clock.millis());
    return withMembers(out, members, admins);
  }

  /** Lists the members after the change, each admin among them marked. */
  private static MembershipChange.Builder withMembers(MembershipChange.Builder change, Iterable<UUID> members, Set<UUID> admins) {
    for (UUID member : members) {
      change.addMembers(member.toString());
      if (admins.contains(member)) {
        change.addAdmins(member.toString());
      }
    }
    return change;
  }

  private SignedMembershipChange sign(MembershipChange change) {
    return GroupChangeSignatures.sign(change, identity);
  }

  private UUID resolve(ServerConnection server, String phone) {
    return directory.cachedByPhone(phone).orElseGet(() -> directory.refreshByPhone(server, phone)).id();
  }

  /** The accounts of the numbers, each once, in the order given. */
  private Set<UUID> resolveAll(ServerConnection server, List<String> phones) {
    Set<UUID> out = new LinkedHashSet<>();
    for (String phone : phones) {
      out.add(resolve(server, phone));
    }
    return out;
  }

  /** The number given for an account, for saying which one is wrong. */
  private String phoneOf(List<String> phones, UUID account) {
    return phones.stream()
        .filter(p -> directory.cachedByPhone(p).map(a -> a.id().equals(account)).orElse(false))
        .findFirst()
        .orElse(account.toString());
  }

  /** Every member's device would refuse the change (GroupChangeSignatures.parse): say so before signing. */
  private static void plain(String name) {
    if (!DisplayNames.isPlain(name)) {
      throw new ClientException(
          "BAD_REQUEST", "a group name must be one line of plain text (no control or direction characters)", null);
    }
  }
}
