package org.parley.client.messaging;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.parley.client.ClientException;
import org.parley.client.GroupLines;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.GroupEvent;
import org.parley.client.events.GroupWarningEvent;
import org.parley.client.net.ServerConnection;
import org.parley.client.net.ServerException;
import org.parley.client.store.GroupStore;
import org.parley.client.store.GroupStore.LocalGroup;
import org.parley.client.store.ProfileStore;
import org.parley.protocol.DeviceListException;
import org.parley.protocol.DeviceListSignatures;
import org.parley.protocol.GroupChangeException;
import org.parley.protocol.GroupChangeSignatures;
import org.parley.protocol.GroupChangeSignatures.Membership;
import org.parley.protocol.PhoneNumbers;
import org.parley.protocol.wire.GetGroup;
import org.parley.protocol.wire.Group;
import org.parley.protocol.wire.GroupMember;
import org.parley.protocol.wire.ListGroups;
import org.parley.protocol.wire.MembershipChange;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.SignedMembershipChange;
import org.parley.protocol.wire.Status;
import org.signal.libsignal.protocol.IdentityKey;

/**
 * This device's copy of its groups' membership (DESIGN.md §9), kept only from signed changes it
 * checked: the signature must verify with the vouched identity key of the device that claims to have
 * made the change, and the change must follow from this device's copy by {@link
 * GroupChangeSignatures} (an admin's right, versions one at a time). Changes it missed (it was
 * offline, or the server withheld them) are fetched from the server and checked in order. What the
 * server says about a group is never believed: it can withhold a change, never make one.
 *
 * <p>A group this device has no copy of (it was just added, a companion racing its history, a phone
 * registered again) is taken from the newest change whose signer stays one of its admins, checked
 * against the signer's vouched key: the same trust a new member gives whoever added it.
 */
public final class GroupRoster {
  private final ProfileStore profile;
  private final GroupStore store;
  private final DeviceDirectory directory;
  private final UUID ownAccount;
  private final int ownDevice;
  private final IdentityKey ownIdentity;
  private final GroupLines lines;

  /**
   * @param profile where {@code store} and {@code lines} write: a change and its line are kept in one
   *     transaction of it
   * @param lines where each change kept (made here, or checked) becomes a line in the group's chat
   */
  public GroupRoster(
      ProfileStore profile, GroupStore store, DeviceDirectory directory, UUID ownAccount, int ownDevice,
      IdentityKey ownIdentity, GroupLines lines) {
    this.profile = profile;
    this.store = store;
    this.directory = directory;
    this.ownAccount = ownAccount;
    this.ownDevice = ownDevice;
    this.ownIdentity = ownIdentity;
    this.lines = lines;
  }

  public Optional<LocalGroup> get(String groupId) {
    return store.get(groupId);
  }

  /** Stores a change this device made and signed, once the server has accepted it. */
  public LocalGroup applyOwn(MembershipChange change, Group described) {
    Membership after = Membership.of(change);
    Optional<Membership> before = store.get(change.getGroupId()).filter(LocalGroup::member).map(LocalGroup::membership);
    keepWithLine(before, change, after, phones(described));
    return store.get(change.getGroupId()).orElseThrow();
  }

  /**
   * A signed change the server passed on. Returns what the user should see: the changes applied
   * (missed ones first), or a warning when the change is refused; nothing when it is already known.
   */
  public List<ClientEvent> receive(
      ServerConnection server, String groupId, SignedMembershipChange signed, Map<UUID, String> phones) {
    MembershipChange change;
    try {
      change = GroupChangeSignatures.parse(signed);
    } catch (GroupChangeException e) {
      return List.of(refused(groupId, e.getMessage()));
    }
    if (!change.getGroupId().equals(groupId)) {
      return List.of(refused(groupId, "the signed change is for another group"));
    }
    List<ClientEvent> events = new ArrayList<>();
    Optional<LocalGroup> copy = store.get(change.getGroupId()).filter(LocalGroup::member);
    long have = copy.map(LocalGroup::version).orElse(0L);
    if (copy.isPresent() && change.getVersion() <= have) {
      return events;
    }
    if (copy.isPresent() && change.getVersion() > have + 1) {
      // Changes in between were missed: check them in order first; this one comes with them.
      sync(server, change.getGroupId(), events);
      if (store.get(change.getGroupId()).map(LocalGroup::version).orElse(0L) >= change.getVersion()) {
        return events;
      }
      copy = store.get(change.getGroupId()).filter(LocalGroup::member);
    }
    try {
      apply(server, copy.map(LocalGroup::membership), change, signed, phones, events);
    } catch (GroupChangeException e) {
      events.add(refused(change.getGroupId(), e.getMessage()));
    }
    return events;
  }

  /**
   * Catches up with every signed change after this device's copy, checking each in order. Returns
   * what the user should see (the changes applied, or why one was refused).
   */
  public List<ClientEvent> sync(ServerConnection server, String groupId) {
    List<ClientEvent> events = new ArrayList<>();
    sync(server, groupId, events);
    return events;
  }

  private void sync(ServerConnection server, String groupId, List<ClientEvent> events) {
    Optional<LocalGroup> copy = store.get(groupId).filter(LocalGroup::member);
    long have = copy.map(LocalGroup::version).orElse(0L);
    Group page = fetch(server, groupId, have);
    if (copy.isEmpty()) {
      page = adopt(server, groupId, page, events);
      if (page == null) {
        return;
      }
      have = store.get(groupId).map(LocalGroup::version).orElse(0L);
    }
    while (have < page.getVersion()) {
      List<SignedMembershipChange> changes = page.getChangesList();
      long before = have;
      for (SignedMembershipChange signed : changes) {
        try {
          MembershipChange change = GroupChangeSignatures.parse(signed);
          if (change.getVersion() <= have) {
            continue;
          }
          Optional<Membership> current = store.get(groupId).filter(LocalGroup::member).map(LocalGroup::membership);
          apply(server, current, change, signed, phones(page), events);
          have = change.getVersion();
        } catch (GroupChangeException e) {
          events.add(refused(groupId, e.getMessage()));
          return;
        }
      }
      if (have == before || !store.get(groupId).map(LocalGroup::member).orElse(false)) {
        if (have < page.getVersion()) {
          events.add(refused(groupId, "the server did not hand over the signed changes up to version " + page.getVersion()));
        }
        return;
      }
      if (have < page.getVersion()) {
        page = fetch(server, groupId, have);
      }
    }
  }

  /**
   * With no copy of the group: takes the newest change whose signer stays an admin, then the ones
   * after it. Returns the page it worked from, or null when nothing could be believed.
   */
  private Group adopt(ServerConnection server, String groupId, Group page, List<ClientEvent> events) {
    if (page.getVersion() > page.getChangesCount()) {
      // Only the newest changes matter here.
      page = fetch(server, groupId, Math.max(0, page.getVersion() - page.getChangesCount()));
    }
    List<SignedMembershipChange> changes = page.getChangesList();
    for (int i = changes.size() - 1; i >= 0; i--) {
      try {
        MembershipChange anchor = GroupChangeSignatures.parse(changes.get(i));
        UUID signer = UUID.fromString(anchor.getSignerAccount());
        if (!Membership.of(anchor).isAdmin(signer)) {
          continue;
        }
        apply(server, Optional.empty(), anchor, changes.get(i), phones(page), events);
        return page;
      } catch (GroupChangeException e) {
        // An older change may still be believable.
      }
    }
    events.add(refused(groupId, "no admin's signed change could be checked for this group"));
    return null;
  }

  /** Checks one change against the copy (or, without one, by the signer's own standing) and keeps it. */
  private void apply(
      ServerConnection server,
      Optional<Membership> before,
      MembershipChange change,
      SignedMembershipChange signed,
      Map<UUID, String> phones,
      List<ClientEvent> events)
      throws GroupChangeException {
    Membership after;
    if (before.isPresent()) {
      after = GroupChangeSignatures.successor(before.get(), change);
    } else if (change.getVersion() == 1) {
      after = GroupChangeSignatures.creation(change);
    } else {
      after = Membership.of(change);
      if (!after.isAdmin(UUID.fromString(change.getSignerAccount()))) {
        throw new GroupChangeException("the change is signed by a member who is not an admin");
      }
    }
    verifySigner(server, change, signed);
    // Only now, verified, is the change kept and does it become a line in the chat.
    keepWithLine(before, change, after, phones);
    events.add(event(change, before, phones));
  }

  /** The signature must verify with the identity key the signer's primary vouches for. */
  private void verifySigner(ServerConnection server, MembershipChange change, SignedMembershipChange signed)
      throws GroupChangeException {
    UUID account = UUID.fromString(change.getSignerAccount());
    int device = change.getSignerDevice();
    if (account.equals(ownAccount) && device == ownDevice) {
      if (GroupChangeSignatures.verifySignature(signed, ownIdentity)) {
        return;
      }
      throw new GroupChangeException("the change is not signed by this device, which it names");
    }
    if (!signedByVouchedKey(signed, directory.vouchedKey(account, device))) {
      // The signer may be a device linked since this device last looked.
      try {
        directory.refresh(server, account);
      } catch (ServerException e) {
        if (e.status() != Status.NOT_FOUND) {
          throw e;
        }
      }
      if (!signedByVouchedKey(signed, directory.vouchedKey(account, device))) {
        throw new GroupChangeException(
            "the change is not signed by a device that " + phoneOf(account) + "'s primary vouches for");
      }
    }
  }

  private static boolean signedByVouchedKey(SignedMembershipChange signed, byte[] vouched) {
    if (vouched == null) {
      return false;
    }
    try {
      return GroupChangeSignatures.verifySignature(signed, DeviceListSignatures.identityKey(vouched));
    } catch (DeviceListException e) {
      return false;
    }
  }

  /**
   * Keeps a change and writes its line in one transaction: a device that dies between them would
   * otherwise hold the new version without its line, and never write it (the version is known, so
   * the change is not taken again). Failing together, neither is kept; the next catch-up takes both.
   */
  private void keepWithLine(Optional<Membership> before, MembershipChange change, Membership after, Map<UUID, String> phones) {
    profile.transaction(c -> {
      keep(after, phones);
      lines.verified(before, change, phones);
      return null;
    });
  }

  /** Stores a believed membership; leaving or being removed keeps the name and forgets the members. */
  private void keep(Membership after, Map<UUID, String> phones) {
    Optional<LocalGroup> before = store.get(after.groupId());
    if (after.isMember(ownAccount)) {
      store.store(after, true, phones);
      Set<UUID> now = new HashSet<>(after.members());
      boolean someoneLeft = before.filter(LocalGroup::member).map(b -> !now.containsAll(b.membership().members())).orElse(false);
      if (someoneLeft) {
        // Whoever left must not read what is sent next: this device's next message uses a new key.
        store.retireSenderKey(after.groupId());
      }
    } else {
      store.left(after.groupId(), after.name(), after.version());
      if (before.isPresent()) {
        store.retireSenderKey(after.groupId());
      }
    }
  }

  /** The server says this account is not in the group: nothing can be sent to it from here. */
  public void notMember(String groupId) {
    store.get(groupId).ifPresent(g -> {
      store.left(groupId, g.name(), g.version());
      store.retireSenderKey(groupId);
    });
  }

  /** Asks the server for the group and catches up; fails with a sentence to show when this account is not in it. */
  public LocalGroup refresh(ServerConnection server, String groupId, List<ClientEvent> events) {
    try {
      sync(server, groupId, events);
    } catch (ServerException e) {
      if (e.status() == Status.FORBIDDEN) {
        notMember(groupId);
        throw notAMember(groupId, e);
      }
      if (e.status() == Status.NOT_FOUND || e.status() == Status.BAD_REQUEST) {
        throw new ClientException(
            "NO_SUCH_GROUP", "there is no group " + groupId + "; 'parley groups list' shows yours", e);
      }
      throw e;
    }
    return store.get(groupId).filter(LocalGroup::member).orElseThrow(() -> notAMember(groupId, null));
  }

  /** Catches up with every group the server lists for this account; those it no longer lists were left. */
  public List<LocalGroup> refreshAll(ServerConnection server, List<ClientEvent> events) {
    List<Group> listed =
        server.call(Request.newBuilder().setListGroups(ListGroups.getDefaultInstance())).getGroupList().getGroupsList();
    List<String> ids = new ArrayList<>();
    for (Group group : listed) {
      ids.add(group.getGroupId());
      long have = store.get(group.getGroupId()).filter(LocalGroup::member).map(LocalGroup::version).orElse(0L);
      if (have < group.getVersion()) {
        sync(server, group.getGroupId(), events);
      }
    }
    for (LocalGroup known : store.all()) {
      if (known.member() && !ids.contains(known.id())) {
        notMember(known.id());
      }
    }
    return store.all().stream().filter(LocalGroup::member).toList();
  }

  private static ClientException notAMember(String groupId, Exception cause) {
    return new ClientException(
        "NOT_A_MEMBER", "this account is not a member of group " + groupId + "; ask one of its admins to add it", cause);
  }

  private static Group fetch(ServerConnection server, String groupId, long since) {
    return server
        .call(Request.newBuilder().setGetGroup(GetGroup.newBuilder().setGroupId(groupId).setSinceVersion(since)))
        .getGroup();
  }

  private GroupEvent event(MembershipChange change, Optional<Membership> before, Map<UUID, String> phones) {
    UUID signer = UUID.fromString(change.getSignerAccount());
    // A creation adds everyone it names.
    List<String> added =
        (change.getVersion() == 1 ? change.getMembersList() : change.getAddedList()).stream()
            .map(a -> phoneOf(UUID.fromString(a), phones)).toList();
    List<String> removed = change.getRemovedList().stream().map(a -> phoneOf(UUID.fromString(a), phones)).toList();
    String kind;
    if (!removed.isEmpty()) {
      kind = change.getRemovedList().equals(List.of(change.getSignerAccount())) ? "left" : "removed";
    } else if (change.getVersion() == 1) {
      kind = "created";
    } else if (!added.isEmpty()) {
      kind = "added";
    } else {
      kind = before.map(b -> b.name().equals(change.getName())).orElse(true) ? "admins" : "renamed";
    }
    return new GroupEvent(
        kind, change.getGroupId(), change.getName(), phoneOf(signer, phones), added, removed, change.getVersion(),
        change.getIssuedAt());
  }

  private String phoneOf(UUID account) {
    return phoneOf(account, Map.of());
  }

  private String phoneOf(UUID account, Map<UUID, String> phones) {
    String phone = store.phoneOf(account);
    if (phone == null && PhoneNumbers.isValid(phones.get(account))) {
      phone = phones.get(account);
    }
    return phone != null ? phone : account.toString();
  }

  static Map<UUID, String> phones(Group described) {
    Map<UUID, String> out = new HashMap<>();
    for (GroupMember member : described.getMembersList()) {
      try {
        // Only a bare E.164 number is remembered or shown: anything else is the server's text.
        if (PhoneNumbers.isValid(member.getPhone())) {
          out.put(UUID.fromString(member.getAccountId()), member.getPhone());
        }
      } catch (IllegalArgumentException e) {
        // The server's description is only a hint for showing numbers.
      }
    }
    return out;
  }

  static GroupWarningEvent refused(String groupId, String reason) {
    return new GroupWarningEvent(
        "group-change-refused", groupId, null,
        "a change to group " + groupId + " was refused and is not shown: " + reason);
  }
}
