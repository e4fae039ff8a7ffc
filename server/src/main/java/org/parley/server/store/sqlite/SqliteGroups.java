package org.parley.server.store.sqlite;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.parley.server.store.DeviceRecord;
import org.parley.server.store.GroupRecord;
import org.parley.server.store.Groups;

final class SqliteGroups implements Groups {
  private final SqliteDatabase db;

  SqliteGroups(SqliteDatabase db) {
    this.db = db;
  }

  @Override
  public Optional<GroupRecord> create(
      UUID id, String name, UUID creator, Collection<UUID> members, byte[] signedChange, long now) {
    return db.writeAndWait(
        c -> {
          try (PreparedStatement insert =
              c.prepareStatement(
                  "INSERT OR IGNORE INTO chat_groups (id, name, version, created_at) VALUES (?,?,1,?)")) {
            insert.setString(1, id.toString());
            insert.setString(2, name);
            insert.setLong(3, now);
            if (insert.executeUpdate() == 0) {
              return Optional.empty();
            }
          }
          Set<UUID> others = new LinkedHashSet<>(members);
          others.remove(creator);
          addMembers(c, id, List.of(creator), true, now);
          addMembers(c, id, others, false, now);
          keepChange(c, id, 1, signedChange);
          return load(c, id);
        });
  }

  @Override
  public Optional<GroupRecord> byId(UUID id) {
    return db.read(c -> load(c, id));
  }

  @Override
  public List<GroupRecord> ofAccount(UUID account) {
    return db.read(
        c -> {
          List<UUID> ids = new ArrayList<>();
          try (PreparedStatement select =
              c.prepareStatement("SELECT group_id FROM group_members WHERE account_id = ? ORDER BY group_id")) {
            select.setString(1, account.toString());
            try (ResultSet rs = select.executeQuery()) {
              while (rs.next()) {
                ids.add(UUID.fromString(rs.getString(1)));
              }
            }
          }
          List<GroupRecord> out = new ArrayList<>(ids.size());
          for (UUID id : ids) {
            load(c, id).ifPresent(out::add);
          }
          return out;
        });
  }

  @Override
  public List<DeviceRecord> devices(UUID group) {
    return db.read(
        c -> {
          try (PreparedStatement select =
              c.prepareStatement(
                  "SELECT " + SqliteAccounts.DEVICE_COLUMNS + " FROM devices WHERE account_id IN"
                      + " (SELECT account_id FROM group_members WHERE group_id = ?) ORDER BY account_id, device_id")) {
            select.setString(1, group.toString());
            List<DeviceRecord> out = new ArrayList<>();
            try (ResultSet rs = select.executeQuery()) {
              while (rs.next()) {
                out.add(SqliteAccounts.device(rs));
              }
            }
            return out;
          }
        });
  }

  @Override
  public Optional<GroupRecord> change(
      UUID id, long expectedVersion, MemberChange change, byte[] signedChange, long now) {
    return db.writeAndWait(
        c -> {
          Optional<GroupRecord> current = load(c, id);
          if (current.isEmpty() || current.get().version() != expectedVersion) {
            return Optional.empty();
          }
          addMembers(c, id, change.add(), false, now);
          try (PreparedStatement remove =
              c.prepareStatement("DELETE FROM group_members WHERE group_id = ? AND account_id = ?")) {
            batch(remove, id, change.remove());
          }
          if (change.admins() != null) {
            try (PreparedStatement demote = c.prepareStatement("UPDATE group_members SET admin = 0 WHERE group_id = ?");
                PreparedStatement promote =
                    c.prepareStatement("UPDATE group_members SET admin = 1 WHERE group_id = ? AND account_id = ?")) {
              demote.setString(1, id.toString());
              demote.executeUpdate();
              batch(promote, id, change.admins());
            }
          }
          long version = expectedVersion + 1;
          GroupRecord changed = load(c, id).orElseThrow();
          if (changed.members().isEmpty()) {
            for (String table : List.of("group_changes WHERE group_id = ?", "chat_groups WHERE id = ?")) {
              try (PreparedStatement delete = c.prepareStatement("DELETE FROM " + table)) {
                delete.setString(1, id.toString());
                delete.executeUpdate();
              }
            }
          } else {
            try (PreparedStatement update =
                c.prepareStatement("UPDATE chat_groups SET version = ?, name = COALESCE(?, name) WHERE id = ?")) {
              update.setLong(1, version);
              update.setString(2, change.name());
              update.setString(3, id.toString());
              update.executeUpdate();
            }
            keepChange(c, id, version, signedChange);
            changed = load(c, id).orElseThrow();
          }
          return Optional.of(
              new GroupRecord(id, changed.name(), version, changed.createdAt(), changed.members()));
        });
  }

  @Override
  public List<byte[]> changes(UUID id, long afterVersion, int limit) {
    return db.read(
        c -> {
          try (PreparedStatement select =
              c.prepareStatement(
                  "SELECT change FROM group_changes WHERE group_id = ? AND version > ? ORDER BY version LIMIT ?")) {
            select.setString(1, id.toString());
            select.setLong(2, afterVersion);
            select.setInt(3, limit);
            List<byte[]> out = new ArrayList<>();
            try (ResultSet rs = select.executeQuery()) {
              while (rs.next()) {
                out.add(rs.getBytes(1));
              }
            }
            return out;
          }
        });
  }

  private static void keepChange(Connection c, UUID group, long version, byte[] signedChange) throws SQLException {
    try (PreparedStatement insert =
        c.prepareStatement("INSERT INTO group_changes (group_id, version, change) VALUES (?,?,?)")) {
      insert.setString(1, group.toString());
      insert.setLong(2, version);
      insert.setBytes(3, signedChange);
      insert.executeUpdate();
    }
  }

  private static void addMembers(Connection c, UUID group, Collection<UUID> accounts, boolean admin, long now)
      throws SQLException {
    long position;
    try (PreparedStatement last =
        c.prepareStatement("SELECT COALESCE(MAX(position), 0) FROM group_members WHERE group_id = ?")) {
      last.setString(1, group.toString());
      try (ResultSet rs = last.executeQuery()) {
        rs.next();
        position = rs.getLong(1);
      }
    }
    try (PreparedStatement insert =
        c.prepareStatement(
            "INSERT OR IGNORE INTO group_members (group_id, account_id, admin, added_at, position) VALUES (?,?,?,?,?)")) {
      for (UUID account : accounts) {
        insert.setString(1, group.toString());
        insert.setString(2, account.toString());
        insert.setInt(3, admin ? 1 : 0);
        insert.setLong(4, now);
        insert.setLong(5, ++position);
        insert.addBatch();
      }
      insert.executeBatch();
    }
  }

  private static void batch(PreparedStatement statement, UUID group, Collection<UUID> accounts)
      throws SQLException {
    for (UUID account : accounts) {
      statement.setString(1, group.toString());
      statement.setString(2, account.toString());
      statement.addBatch();
    }
    statement.executeBatch();
  }

  private static Optional<GroupRecord> load(Connection c, UUID id) throws SQLException {
    String name;
    long version;
    long createdAt;
    try (PreparedStatement select =
        c.prepareStatement("SELECT name, version, created_at FROM chat_groups WHERE id = ?")) {
      select.setString(1, id.toString());
      try (ResultSet rs = select.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        name = rs.getString(1);
        version = rs.getLong(2);
        createdAt = rs.getLong(3);
      }
    }
    List<GroupRecord.Member> members = new ArrayList<>();
    try (PreparedStatement select =
        c.prepareStatement(
            "SELECT m.account_id, a.phone, m.admin, m.added_at FROM group_members m"
                + " JOIN accounts a ON a.id = m.account_id WHERE m.group_id = ? ORDER BY m.position")) {
      select.setString(1, id.toString());
      try (ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          members.add(
              new GroupRecord.Member(
                  UUID.fromString(rs.getString(1)), rs.getString(2), rs.getInt(3) == 1, rs.getLong(4)));
        }
      }
    }
    return Optional.of(new GroupRecord(id, name, version, createdAt, List.copyOf(members)));
  }
}
