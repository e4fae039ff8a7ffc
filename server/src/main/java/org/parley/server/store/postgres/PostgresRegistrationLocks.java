package org.parley.server.store.postgres;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Optional;
import java.util.UUID;
import org.parley.server.store.RegistrationLocks;

final class PostgresRegistrationLocks implements RegistrationLocks {
  private final PostgresDatabase db;

  PostgresRegistrationLocks(PostgresDatabase db) {
    this.db = db;
  }

  @Override
  public Optional<Lock> get(UUID account) {
    return db.read(
        c -> {
          try (PreparedStatement select =
              c.prepareStatement(
                  "SELECT pin_hash, salt, iterations, set_at FROM registration_locks WHERE account_id = ?")) {
            select.setObject(1, account);
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
    db.transaction(
        c -> {
          try (PreparedStatement put =
              c.prepareStatement(
                  "INSERT INTO registration_locks (account_id, pin_hash, salt, iterations, set_at) VALUES (?,?,?,?,?)"
                      + " ON CONFLICT (account_id) DO UPDATE SET pin_hash = excluded.pin_hash, salt = excluded.salt,"
                      + " iterations = excluded.iterations, set_at = excluded.set_at")) {
            put.setObject(1, account);
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
    db.transaction(
        c -> {
          try (PreparedStatement delete = c.prepareStatement("DELETE FROM registration_locks WHERE account_id = ?")) {
            delete.setObject(1, account);
            return delete.executeUpdate();
          }
        });
  }
}
