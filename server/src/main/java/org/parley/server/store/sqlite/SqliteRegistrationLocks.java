package org.parley.server.store.sqlite;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Optional;
import java.util.UUID;
import org.parley.server.store.RegistrationLocks;

final class SqliteRegistrationLocks implements RegistrationLocks {
  private final SqliteDatabase db;

  SqliteRegistrationLocks(SqliteDatabase db) {
    this.db = db;
  }

  @Override
  public Optional<Lock> get(UUID account) {
    return db.read(
        c -> {
          try (PreparedStatement select =
              c.prepareStatement(
                  "SELECT pin_hash, salt, iterations, set_at FROM registration_locks WHERE account_id = ?")) {
            select.setString(1, account.toString());
            try (ResultSet rs = select.executeQuery()) {
              return rs.next()
                  ? Optional.of(new Lock(rs.getBytes(1), rs.getBytes(2), rs.getInt(3), rs.getLong(4)))
                  : Optional.empty();
            }
          }
        });
  }

  @Override
  public void put(UUID account, Lock lock) {
    db.writeAndWait(
        c -> {
          try (PreparedStatement put =
              c.prepareStatement(
                  "INSERT OR REPLACE INTO registration_locks (account_id, pin_hash, salt, iterations, set_at)"
                      + " VALUES (?,?,?,?,?)")) {
            put.setString(1, account.toString());
            put.setBytes(2, lock.pinHash());
            put.setBytes(3, lock.salt());
            put.setInt(4, lock.iterations());
            put.setLong(5, lock.setAt());
            return put.executeUpdate();
          }
        });
  }

  @Override
  public void clear(UUID account) {
    db.writeAndWait(
        c -> {
          try (PreparedStatement delete = c.prepareStatement("DELETE FROM registration_locks WHERE account_id = ?")) {
            delete.setString(1, account.toString());
            return delete.executeUpdate();
          }
        });
  }
}
