package org.parley.server.store;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * A group as the server keeps it (DESIGN.md §9).
 *
 * @param version raised by every membership change, so devices can tell which view is newer
 * @param members in the order they joined; empty once the last member has left (the group is then gone)
 */
public record GroupRecord(UUID id, String name, long version, long createdAt, List<Member> members) {
  /** A member account; the phone number is the account's current one. */
  public record Member(UUID account, String phone, boolean admin, long addedAt) {}

  public Optional<Member> member(UUID account) {
    return members.stream().filter(m -> m.account().equals(account)).findFirst();
  }

  public boolean isMember(UUID account) {
    return member(account).isPresent();
  }

  public boolean isAdmin(UUID account) {
    return member(account).map(Member::admin).orElse(false);
  }
}
