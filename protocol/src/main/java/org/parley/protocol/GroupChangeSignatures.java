package org.parley.protocol;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.parley.protocol.wire.MembershipChange;
import org.parley.protocol.wire.SignedMembershipChange;
import org.signal.libsignal.protocol.IdentityKey;
import org.signal.libsignal.protocol.IdentityKeyPair;

/**
 * The rules that stop a server from changing who is in a group (DESIGN.md §9). Every membership
 * change is signed by the device that makes it; a member believes it only if the signature verifies
 * with that device's vouched identity key (the caller's business: it knows the signed device lists)
 * and the change follows from the member's own copy of the group by these rules. The server runs the
 * same rules on its record, so it refuses what no member would believe.
 *
 * <p>Who may do what: an admin may add and remove members, rename the group and set who is admin; any
 * member may leave, and a last admin who leaves hands the role on. A group is created at version 1 by
 * its only admin; every change raises the version by exactly one.
 */
public final class GroupChangeSignatures {
  public static final int MAX_NAME_LENGTH = 100;

  private static final byte[] TAG = "parley-group-change-v1".getBytes(StandardCharsets.US_ASCII);

  private GroupChangeSignatures() {}

  public static SignedMembershipChange sign(MembershipChange change, IdentityKeyPair signer) {
    byte[] encoded = change.toByteArray();
    byte[] signature = signer.getPrivateKey().calculateSignature(DeviceListSignatures.concat(TAG, encoded));
    return SignedMembershipChange.newBuilder()
        .setChange(ByteString.copyFrom(encoded))
        .setSignature(ByteString.copyFrom(signature))
        .build();
  }

  public static boolean verifySignature(SignedMembershipChange signed, IdentityKey signer) {
    return signer
        .getPublicKey()
        .verifySignature(
            DeviceListSignatures.concat(TAG, signed.getChange().toByteArray()), signed.getSignature().toByteArray());
  }

  /** Decodes a change and checks what it says about itself; the signature is checked apart. */
  public static MembershipChange parse(SignedMembershipChange signed) throws GroupChangeException {
    if (signed.getChange().isEmpty() || signed.getSignature().isEmpty()) {
      throw new GroupChangeException("the change is not signed");
    }
    MembershipChange change;
    try {
      change = MembershipChange.parseFrom(signed.getChange());
    } catch (InvalidProtocolBufferException e) {
      throw new GroupChangeException("the change is not a valid encoding");
    }
    uuid(change.getGroupId(), "group id");
    uuid(change.getSignerAccount(), "signer");
    if (change.getSignerDevice() < 1 || change.getSignerDevice() > 127) {
      throw new GroupChangeException("the change names no valid signing device");
    }
    if (change.getVersion() < 1) {
      throw new GroupChangeException("the change has no version");
    }
    String name = change.getName().strip();
    if (name.isEmpty() || name.length() > MAX_NAME_LENGTH || !name.equals(change.getName())) {
      throw new GroupChangeException("a group needs a name of 1 to " + MAX_NAME_LENGTH + " characters");
    }
    if (!DisplayNames.isPlain(name)) {
      // Refused, not cleaned: every member must show the same name, and one signed this way was
      // made by a client that does not check what it sends (or by a compromised admin).
      throw new GroupChangeException("a group name must be one line of plain text (no control or direction characters)");
    }
    Set<UUID> members = accounts(change.getMembersList(), "member");
    Set<UUID> admins = accounts(change.getAdminsList(), "admin");
    Set<UUID> added = accounts(change.getAddedList(), "added member");
    Set<UUID> removed = accounts(change.getRemovedList(), "removed member");
    if (!members.containsAll(admins)) {
      throw new GroupChangeException("an admin of the change is not a member");
    }
    if (admins.isEmpty() != members.isEmpty()) {
      throw new GroupChangeException("a group with members needs an admin");
    }
    if (!members.containsAll(added)) {
      throw new GroupChangeException("an added account is not among the members");
    }
    for (UUID account : removed) {
      if (members.contains(account)) {
        throw new GroupChangeException("a removed account is still among the members");
      }
    }
    return change;
  }

  /**
   * Checks that a change creates a group: its signer is its only admin. Every member is new, so a
   * creation lists them once, as members, and names nobody as added or removed.
   */
  public static Membership creation(MembershipChange change) throws GroupChangeException {
    Membership after = Membership.of(change);
    UUID signer = UUID.fromString(change.getSignerAccount());
    if (change.getVersion() != 1) {
      throw new GroupChangeException("a new group starts at version 1, not " + change.getVersion());
    }
    if (!after.admins().equals(Set.of(signer))) {
      throw new GroupChangeException("a new group's only admin is the member who creates it");
    }
    if (!change.getRemovedList().isEmpty() || !change.getAddedList().isEmpty()) {
      throw new GroupChangeException("a new group's creation names its members only, none as added or removed");
    }
    return after;
  }

  /**
   * Checks that a change follows from {@code before} and that its signer had the right to make it.
   *
   * @return the membership after the change
   */
  public static Membership successor(Membership before, MembershipChange change) throws GroupChangeException {
    if (!before.groupId().equals(change.getGroupId())) {
      throw new GroupChangeException("the change is for another group");
    }
    if (change.getVersion() != before.version() + 1) {
      throw new GroupChangeException(
          "the change leads to version " + change.getVersion() + ", not to " + (before.version() + 1));
    }
    Membership after = Membership.of(change);
    List<UUID> added = Membership.uuids(change.getAddedList());
    List<UUID> removed = Membership.uuids(change.getRemovedList());
    Set<UUID> was = new HashSet<>(before.members());
    Set<UUID> expected = new LinkedHashSet<>(before.members());
    for (UUID account : removed) {
      if (!expected.remove(account)) {
        throw new GroupChangeException("the change removes an account that is not a member");
      }
    }
    for (UUID account : added) {
      // A set, not the list: a change adding many members to a large group stays linear.
      if (was.contains(account)) {
        throw new GroupChangeException("the change adds an account that is already a member");
      }
      expected.add(account);
    }
    if (!expected.equals(new HashSet<>(after.members()))) {
      throw new GroupChangeException("the members after the change do not follow from who was added and removed");
    }
    UUID signer = UUID.fromString(change.getSignerAccount());
    if (before.admins().contains(signer)) {
      return after;
    }
    if (!was.contains(signer)) {
      throw new GroupChangeException("the change is signed by an account that is not a member");
    }
    boolean leaving = removed.equals(List.of(signer)) && added.isEmpty();
    if (!leaving || !after.name().equals(before.name()) || !after.admins().equals(before.admins())) {
      throw new GroupChangeException("the change is signed by a member who is not an admin");
    }
    return after;
  }

  private static Set<UUID> accounts(List<String> ids, String what) throws GroupChangeException {
    Set<UUID> out = new LinkedHashSet<>();
    for (String id : ids) {
      if (!out.add(uuid(id, what))) {
        throw new GroupChangeException("the change names a " + what + " twice");
      }
    }
    return out;
  }

  private static UUID uuid(String text, String what) throws GroupChangeException {
    try {
      return UUID.fromString(text);
    } catch (IllegalArgumentException e) {
      throw new GroupChangeException("the change names no valid " + what);
    }
  }

  /**
   * A group's membership at one version, as a verified change leaves it.
   *
   * @param members in joining order
   */
  public record Membership(String groupId, long version, String name, List<UUID> members, Set<UUID> admins) {
    public Membership {
      members = List.copyOf(members);
      admins = Set.copyOf(admins);
    }

    /** The membership a (parsed) change leads to. */
    public static Membership of(MembershipChange change) {
      return new Membership(
          change.getGroupId(), change.getVersion(), change.getName(), uuids(change.getMembersList()),
          new HashSet<>(uuids(change.getAdminsList())));
    }

    static List<UUID> uuids(List<String> ids) {
      List<UUID> out = new ArrayList<>(ids.size());
      ids.forEach(id -> out.add(UUID.fromString(id)));
      return out;
    }

    public boolean isMember(UUID account) {
      return members.contains(account);
    }

    public boolean isAdmin(UUID account) {
      return admins.contains(account);
    }
  }
}
