package org.parley.client.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.parley.protocol.GroupChangeSignatures.Membership;

/**
 * The groups this device knows and, per group, its own current sender key: which distribution id it
 * sends under and which devices were handed that key. The libsignal key material itself lives in the
 * sender_keys table of {@link SignalStore}.
 *
 * <p>A group's members here are this device's own copy: written only from signed changes it checked
 * (GroupRoster), from its own changes, or from its primary's history export, never from what the
 * server says about the group.
 */
public final class GroupStore {
  private final ProfileStore store;
  private final Contacts contacts;

  public GroupStore(ProfileStore store, Contacts contacts) {
    this.store = store;
    this.contacts = contacts;
  }

  /**
   * A group as this device last verified it.
   *
   * @param member false once this account left or was removed
   * @param members in the order they joined, with the numbers this device knows for them
   */
  public record LocalGroup(String id, String name, long version, boolean member, List<Member> members) {
    public boolean isAdmin(UUID account) {
      return members.stream().anyMatch(m -> m.account().equals(account) && m.admin());
    }

    public Optional<Member> member(UUID account) {
      return members.stream().filter(m -> m.account().equals(account)).findFirst();
    }

    public boolean isMember(UUID account) {
      return member(account).isPresent();
    }

    /** The membership that the next signed change must follow from. */
    public Membership membership() {
      Set<UUID> admins = new HashSet<>();
      members.stream().filter(Member::admin).forEach(m -> admins.add(m.account()));
      return new Membership(id, version, name, members.stream().map(Member::account).toList(), admins);
    }
  }

  /** @param joinedVersion the group's version when this member joined, as far as this device knows */
  public record Member(UUID account, String phone, boolean admin, long joinedVersion) {}

  /** A device that holds this device's sender key: who, and under which registration. */
  public record Share(UUID account, int deviceId, int registrationId) {}

  public Optional<LocalGroup> get(String groupId) {
    return store.read(c -> load(c, groupId));
  }

  public List<LocalGroup> all() {
    return store.read(c -> {
      List<String> ids = new ArrayList<>();
      try (PreparedStatement select = c.prepareStatement("SELECT group_id FROM chat_groups ORDER BY name, group_id");
          ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          ids.add(rs.getString(1));
        }
      }
      List<LocalGroup> out = new ArrayList<>();
      for (String id : ids) {
        load(c, id).ifPresent(out::add);
      }
      return out;
    });
  }

  /**
   * Stores a verified membership unless a newer one is already known. Members already known keep the
   * version they joined at; the others joined at this one.
   *
   * <p>Only what changed is written: the rows of members who left, of those who joined (after the
   * others, in joining order) and of those whose admin mark changed. A group that grows one member
   * at a time to n members costs n rows in all, not n²/2 (each change still lists every member: its
   * signature covers them all).
   *
   * @param member whether this account is in the group
   * @param phones numbers to remember for the members (the server's word: shown, never trusted)
   * @return whether it was stored
   */
  public boolean store(Membership group, boolean member, Map<UUID, String> phones) {
    return store.transaction(c -> {
      Optional<LocalGroup> known = load(c, group.groupId());
      if (known.isPresent() && known.get().version() > group.version()) {
        return false;
      }
      Map<UUID, Member> before = new HashMap<>();
      known.ifPresent(k -> k.members().forEach(m -> before.put(m.account(), m)));
      if (known.isPresent() && !known.get().member()) {
        // Joined again: everyone joins at this version, as on a first copy.
        deleteMembers(c, group.groupId(), List.copyOf(before.keySet()));
        before.clear();
      }
      writeGroup(c, group.groupId(), group.name(), group.version(), member);
      Set<UUID> after = new HashSet<>(group.members());
      List<UUID> gone = before.keySet().stream().filter(account -> !after.contains(account)).toList();
      deleteMembers(c, group.groupId(), gone);
      List<Member> joined = new ArrayList<>();
      List<Member> marked = new ArrayList<>();
      for (UUID account : group.members()) {
        Member was = before.get(account);
        if (was == null) {
          joined.add(new Member(account, phones.get(account), group.isAdmin(account), group.version()));
        } else if (was.admin() != group.isAdmin(account)) {
          marked.add(new Member(account, was.phone(), group.isAdmin(account), was.joinedVersion()));
        }
        if ((was == null || was.phone() == null) && phones.get(account) != null && contacts.phoneOf(account) == null) {
          // Members' numbers, so that their messages show who wrote them; the server's word never
          // replaces a number this device already holds.
          contacts.notePhone(account, phones.get(account));
        }
      }
      setAdmins(c, group.groupId(), marked);
      insertMembers(c, group.groupId(), joined, nextPosition(c, group.groupId()));
      return true;
    });
  }

  /** Keeps a group this account is no longer in: its name and version, but nobody in it. */
  public void left(String groupId, String name, long version) {
    store.transaction(c -> {
      writeGroup(c, groupId, name, version, false);
      try (PreparedStatement delete = c.prepareStatement("DELETE FROM group_members WHERE group_id = ?")) {
        delete.setString(1, groupId);
        delete.executeUpdate();
      }
      return null;
    });
  }

  private static void writeGroup(Connection c, String groupId, String name, long version, boolean member)
      throws SQLException {
    try (PreparedStatement upsert =
        c.prepareStatement(
            "INSERT INTO chat_groups (group_id, name, version, member) VALUES (?,?,?,?)"
                + " ON CONFLICT (group_id) DO UPDATE SET name = excluded.name, version = excluded.version,"
                + " member = excluded.member")) {
      upsert.setString(1, groupId);
      upsert.setString(2, name);
      upsert.setLong(3, version);
      upsert.setInt(4, member ? 1 : 0);
      upsert.executeUpdate();
    }
  }

  private static void deleteMembers(Connection c, String groupId, List<UUID> accounts) throws SQLException {
    if (accounts.isEmpty()) {
      return;
    }
    try (PreparedStatement delete = c.prepareStatement("DELETE FROM group_members WHERE group_id = ? AND account_id = ?")) {
      for (UUID account : accounts) {
        delete.setString(1, groupId);
        delete.setString(2, account.toString());
        delete.addBatch();
      }
      delete.executeBatch();
    }
  }

  private static void setAdmins(Connection c, String groupId, List<Member> members) throws SQLException {
    if (members.isEmpty()) {
      return;
    }
    try (PreparedStatement update =
        c.prepareStatement("UPDATE group_members SET admin = ? WHERE group_id = ? AND account_id = ?")) {
      for (Member m : members) {
        update.setInt(1, m.admin() ? 1 : 0);
        update.setString(2, groupId);
        update.setString(3, m.account().toString());
        update.addBatch();
      }
      update.executeBatch();
    }
  }

  /** Where the next member to join goes: after everyone still in the group (positions only ever grow). */
  private static int nextPosition(Connection c, String groupId) throws SQLException {
    try (PreparedStatement select =
        c.prepareStatement("SELECT COALESCE(MAX(position) + 1, 0) FROM group_members WHERE group_id = ?")) {
      select.setString(1, groupId);
      try (ResultSet rs = select.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  private static void insertMembers(Connection c, String groupId, List<Member> members, int position)
      throws SQLException {
    if (members.isEmpty()) {
      return;
    }
    try (PreparedStatement insert =
        c.prepareStatement(
            "INSERT INTO group_members (group_id, account_id, admin, position, joined_version) VALUES (?,?,?,?,?)")) {
      int next = position;
      for (Member m : members) {
        insert.setString(1, groupId);
        insert.setString(2, m.account().toString());
        insert.setInt(3, m.admin() ? 1 : 0);
        insert.setInt(4, next++);
        insert.setLong(5, m.joinedVersion());
        insert.addBatch();
      }
      insert.executeBatch();
    }
  }

  /** The number this device knows for an account, if any. */
  public String phoneOf(UUID account) {
    return contacts.phoneOf(account);
  }

  /** The group's current distribution id of this device's sender key, if one is in use. */
  public Optional<UUID> distributionId(String groupId) {
    return store.read(c -> {
      try (PreparedStatement select =
          c.prepareStatement("SELECT distribution_id FROM chat_groups WHERE group_id = ?")) {
        select.setString(1, groupId);
        try (ResultSet rs = select.executeQuery()) {
          return rs.next() && rs.getString(1) != null ? Optional.of(UUID.fromString(rs.getString(1))) : Optional.empty();
        }
      }
    });
  }

  /** Starts a new sender key for the group: a fresh distribution id, held by nobody yet. */
  public UUID newDistribution(String groupId) {
    UUID id = UUID.randomUUID();
    setDistribution(groupId, id);
    return id;
  }

  /** Drops the current sender key, so that the next message starts a new one (rotation). */
  public void retireSenderKey(String groupId) {
    setDistribution(groupId, null);
  }

  private void setDistribution(String groupId, UUID id) {
    store.transaction(c -> {
      try (PreparedStatement update =
          c.prepareStatement("UPDATE chat_groups SET distribution_id = ? WHERE group_id = ?")) {
        update.setString(1, id == null ? null : id.toString());
        update.setString(2, groupId);
        if (update.executeUpdate() != 1) {
          throw new SQLException("no group " + groupId + " is known on this device");
        }
      }
      try (PreparedStatement delete = c.prepareStatement("DELETE FROM sender_key_shares WHERE group_id = ?")) {
        delete.setString(1, groupId);
        delete.executeUpdate();
      }
      return null;
    });
  }

  public Set<Share> shares(String groupId, UUID distributionId) {
    return store.read(c -> {
      try (PreparedStatement select =
          c.prepareStatement(
              "SELECT account_id, device_id, registration_id FROM sender_key_shares"
                  + " WHERE group_id = ? AND distribution_id = ?")) {
        select.setString(1, groupId);
        select.setString(2, distributionId.toString());
        Set<Share> out = new HashSet<>();
        try (ResultSet rs = select.executeQuery()) {
          while (rs.next()) {
            out.add(new Share(UUID.fromString(rs.getString(1)), rs.getInt(2), rs.getInt(3)));
          }
        }
        return out;
      }
    });
  }

  /** Records that these devices were handed the sender key with this distribution id. */
  public void shared(String groupId, UUID distributionId, Collection<Share> holders) {
    store.transaction(c -> {
      try (PreparedStatement insert =
          c.prepareStatement(
              "INSERT OR REPLACE INTO sender_key_shares (group_id, distribution_id, account_id, device_id,"
                  + " registration_id) VALUES (?,?,?,?,?)")) {
        for (Share share : holders) {
          insert.setString(1, groupId);
          insert.setString(2, distributionId.toString());
          insert.setString(3, share.account().toString());
          insert.setInt(4, share.deviceId());
          insert.setInt(5, share.registrationId());
          insert.addBatch();
        }
        insert.executeBatch();
      }
      return null;
    });
  }

  private static Optional<LocalGroup> load(Connection c, String groupId) throws SQLException {
    String name;
    long version;
    boolean member;
    try (PreparedStatement select =
        c.prepareStatement("SELECT name, version, member FROM chat_groups WHERE group_id = ?")) {
      select.setString(1, groupId);
      try (ResultSet rs = select.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        name = rs.getString(1);
        version = rs.getLong(2);
        member = rs.getInt(3) == 1;
      }
    }
    List<Member> members = new ArrayList<>();
    try (PreparedStatement select =
        c.prepareStatement(
            "SELECT m.account_id, a.phone, m.admin, m.joined_version FROM group_members m LEFT JOIN accounts a"
                + " ON a.account_id = m.account_id WHERE m.group_id = ? ORDER BY m.position")) {
      select.setString(1, groupId);
      try (ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          members.add(
              new Member(UUID.fromString(rs.getString(1)), rs.getString(2), rs.getInt(3) == 1, rs.getLong(4)));
        }
      }
    }
    return Optional.of(new LocalGroup(groupId, name, version, member, List.copyOf(members)));
  }
}
