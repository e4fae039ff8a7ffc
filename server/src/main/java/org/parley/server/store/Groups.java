package org.parley.server.store;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Group membership (DESIGN.md §9). Who may change what is the caller's business; this part only
 * guarantees that a change computed from one version of a group is never applied on top of another.
 */
public interface Groups {
  /** Stores a new group at version 1 with the creator as its only admin and the others as members. */
  GroupRecord create(UUID id, String name, UUID creator, Collection<UUID> members, long now);

  Optional<GroupRecord> byId(UUID id);

  /** The groups the account is a member of. */
  List<GroupRecord> ofAccount(UUID account);

  /** Every current device of every member, ordered by account and device: what a group message must cover. */
  List<DeviceRecord> devices(UUID group);

  /**
   * Applies a membership change in one commit if the group is still at {@code expectedVersion}, and
   * raises its version by one. A group left without members is deleted.
   *
   * @return the group after the change, or empty when it is gone or was changed meanwhile
   */
  Optional<GroupRecord> change(UUID id, long expectedVersion, MemberChange change, long now);

  /**
   * @param add accounts that become (non-admin) members; existing members stay as they are
   * @param remove accounts that stop being members
   * @param promote members that become admins
   */
  record MemberChange(Collection<UUID> add, Collection<UUID> remove, Collection<UUID> promote) {
    public static MemberChange adding(Collection<UUID> accounts) {
      return new MemberChange(accounts, List.of(), List.of());
    }

    public static MemberChange removing(UUID account) {
      return new MemberChange(List.of(), List.of(account), List.of());
    }
  }
}
