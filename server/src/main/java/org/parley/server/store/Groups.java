package org.parley.server.store;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Group membership (DESIGN.md §9) and the signed changes that made it. Who may change what is the
 * caller's business (the signatures are checked before anything is stored); this part guarantees
 * that a change computed from one version of a group is never applied on top of another, and that
 * the record and its signed change are committed together.
 */
public interface Groups {
  /**
   * Stores a new group at version 1 with the creator as its only admin, first, and the others as
   * members in the order given, with its signed creation.
   *
   * @return the group, or empty when a group with that id exists already
   */
  Optional<GroupRecord> create(UUID id, String name, UUID creator, Collection<UUID> members, byte[] signedChange, long now);

  Optional<GroupRecord> byId(UUID id);

  /** The groups the account is a member of. */
  List<GroupRecord> ofAccount(UUID account);

  /** Every current device of every member, ordered by account and device: what a group message must cover. */
  List<DeviceRecord> devices(UUID group);

  /**
   * Applies a membership change in one commit if the group is still at {@code expectedVersion},
   * raises its version by one and keeps the signed change under the new version. A group left
   * without members is deleted, with its changes.
   *
   * @return the group after the change, or empty when it is gone or was changed meanwhile
   */
  Optional<GroupRecord> change(UUID id, long expectedVersion, MemberChange change, byte[] signedChange, long now);

  /** The signed changes with a version above {@code afterVersion}, oldest first, at most {@code limit}. */
  List<byte[]> changes(UUID id, long afterVersion, int limit);

  /**
   * @param add accounts that become (non-admin) members, in this order; existing members stay as they are
   * @param remove accounts that stop being members
   * @param admins every admin after the change, or {@code null} to leave the admins as they are
   * @param name the group's new name, or {@code null} to keep it
   */
  record MemberChange(Collection<UUID> add, Collection<UUID> remove, Collection<UUID> admins, String name) {
    public static MemberChange adding(Collection<UUID> accounts) {
      return new MemberChange(accounts, List.of(), null, null);
    }

    public static MemberChange removing(UUID account) {
      return new MemberChange(List.of(), List.of(account), null, null);
    }
  }
}
