package org.parley.server.store.postgres;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Optional;
import org.parley.server.store.VerificationCodes;

final class PostgresVerificationCodes implements VerificationCodes {
  private final PostgresDatabase db;

  PostgresVerificationCodes(PostgresDatabase db) {
    this.db = db;
  }

  @Override
  public void put(PendingCode code) {
    db.transaction(
        c -> {
          try (PreparedStatement put =
              c.prepareStatement(
                  "INSERT INTO verification_codes (phone, code_hash, expires_at, failed_attempts) VALUES (?,?,?,?)"
                      + " ON CONFLICT (phone) DO UPDATE SET code_hash = excluded.code_hash,"
                      + " expires_at = excluded.expires_at, failed_attempts = excluded.failed_attempts")) {
            put.setString(1, code.phone());
            put.setBytes(2, code.codeHash());
            put.setLong(3, code.expiresAt());
            put.setInt(4, code.failedAttempts());
            return put.executeUpdate();
          }
        });
  }

  @Override
  public Optional<PendingCode> get(String phone) {
    return db.read(
        c -> {
          try (PreparedStatement select =
              c.prepareStatement("SELECT code_hash, expires_at, failed_attempts FROM verification_codes WHERE phone = ?")) {
            select.setString(1, phone);
            try (ResultSet rs = select.executeQuery()) {
              return rs.next()
                  ? Optional.of(new PendingCode(phone, rs.getBytes(1), rs.getLong(2), rs.getInt(3)))
                  : Optional.empty();
            }
          }
        });
  }

  /** One UPDATE ... RETURNING: guesses racing on several nodes are all counted. */
  @Override
  public Optional<PendingCode> attempt(String phone) {
    return db.transaction(
        c -> {
          try (PreparedStatement update =
              c.prepareStatement(
                  "UPDATE verification_codes SET failed_attempts = failed_attempts + 1 WHERE phone = ?"
                      + " RETURNING code_hash, expires_at, failed_attempts")) {
            update.setString(1, phone);
            try (ResultSet rs = update.executeQuery()) {
              return rs.next()
                  ? Optional.of(new PendingCode(phone, rs.getBytes(1), rs.getLong(2), rs.getInt(3)))
                  : Optional.empty();
            }
          }
        });
  }

  @Override
  public void delete(String phone) {
    db.transaction(
        c -> {
          try (PreparedStatement delete = c.prepareStatement("DELETE FROM verification_codes WHERE phone = ?")) {
            delete.setString(1, phone);
            return delete.executeUpdate();
          }
        });
  }
}
