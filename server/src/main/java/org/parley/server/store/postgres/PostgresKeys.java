package org.parley.server.store.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.Keys;
import org.parley.server.store.PreKeys;

final class PostgresKeys implements Keys {
  static final int EC = 0;
  static final int KYBER = 1;

  private final PostgresDatabase db;

  PostgresKeys(PostgresDatabase db) {
    this.db = db;
  }

  @Override
  public void upload(DeviceAddress device, PreKeys.Upload keys) {
    db.transaction(
        c -> {
          store(c, device, keys);
          return null;
        });
  }

  static void store(Connection c, DeviceAddress device, PreKeys.Upload keys) throws SQLException {
    if (keys == null) {
      return;
    }
    if (keys.signedPreKey() != null) {
      putSigned(c, device, EC, keys.signedPreKey());
    }
    if (keys.kyberLastResort() != null) {
      putSigned(c, device, KYBER, keys.kyberLastResort());
    }
    try (PreparedStatement insert =
        c.prepareStatement(
            "INSERT INTO one_time_pre_keys (account_id, device_id, kind, key_id, public_key, signature) VALUES (?,?,?,?,?,?)"
                + " ON CONFLICT (account_id, device_id, kind, key_id)"
                + " DO UPDATE SET public_key = excluded.public_key, signature = excluded.signature")) {
      int added = addOneTime(insert, device, EC, keys.oneTimePreKeys()) + addOneTime(insert, device, KYBER, keys.oneTimeKyberPreKeys());
      if (added > 0) {
        insert.executeBatch();
      }
    }
  }

  private static int addOneTime(PreparedStatement insert, DeviceAddress device, int kind, List<PreKeys.Key> keys)
      throws SQLException {
    if (keys == null) {
      return 0;
    }
    for (PreKeys.Key key : keys) {
      insert.setObject(1, device.account());
      insert.setInt(2, device.device());
      insert.setInt(3, kind);
      insert.setInt(4, key.id());
      insert.setBytes(5, key.publicKey());
      insert.setBytes(6, key.signature());
      insert.addBatch();
    }
    return keys.size();
  }

  private static void putSigned(Connection c, DeviceAddress device, int kind, PreKeys.Key key) throws SQLException {
    try (PreparedStatement put =
        c.prepareStatement(
            "INSERT INTO signed_pre_keys (account_id, device_id, kind, key_id, public_key, signature) VALUES (?,?,?,?,?,?)"
                + " ON CONFLICT (account_id, device_id, kind)"
                + " DO UPDATE SET key_id = excluded.key_id, public_key = excluded.public_key, signature = excluded.signature")) {
      put.setObject(1, device.account());
      put.setInt(2, device.device());
      put.setInt(3, kind);
      put.setInt(4, key.id());
      put.setBytes(5, key.publicKey());
      put.setBytes(6, key.signature());
      put.executeUpdate();
    }
  }

  static void purge(Connection c, DeviceAddress device) throws SQLException {
    for (String table : List.of("signed_pre_keys", "one_time_pre_keys")) {
      try (PreparedStatement delete =
          c.prepareStatement("DELETE FROM " + table + " WHERE account_id = ? AND device_id = ?")) {
        delete.setObject(1, device.account());
        delete.setInt(2, device.device());
        delete.executeUpdate();
      }
    }
  }

  @Override
  public Optional<PreKeys.Bundle> take(DeviceAddress device) {
    return db.transaction(
        c -> {
          var record = PostgresAccounts.device(c, device);
          if (record.isEmpty()) {
            return Optional.empty();
          }
          PreKeys.Key signed = signed(c, device, EC);
          PreKeys.Key lastResort = signed(c, device, KYBER);
          if (signed == null || lastResort == null) {
            return Optional.empty();
          }
          PreKeys.Key oneTimeKyber = takeOneTime(c, device, KYBER);
          PreKeys.Key oneTimeEc = takeOneTime(c, device, EC);
          return Optional.of(
              new PreKeys.Bundle(record.get(), signed, oneTimeKyber != null ? oneTimeKyber : lastResort, oneTimeEc));
        });
  }

  private static PreKeys.Key signed(Connection c, DeviceAddress device, int kind) throws SQLException {
    try (PreparedStatement select =
        c.prepareStatement(
            "SELECT key_id, public_key, signature FROM signed_pre_keys WHERE account_id = ? AND device_id = ? AND kind = ?")) {
      select.setObject(1, device.account());
      select.setInt(2, device.device());
      select.setInt(3, kind);
      try (ResultSet rs = select.executeQuery()) {
        return rs.next() ? new PreKeys.Key(rs.getInt(1), rs.getBytes(2), rs.getBytes(3)) : null;
      }
    }
  }

  /**
   * Takes the lowest one-time key nobody else is taking: two nodes handing out bundles for the same
   * device at once get different keys rather than one of them none.
   */
  private static PreKeys.Key takeOneTime(Connection c, DeviceAddress device, int kind) throws SQLException {
    try (PreparedStatement take =
        c.prepareStatement(
            "DELETE FROM one_time_pre_keys WHERE ctid = (SELECT ctid FROM one_time_pre_keys"
                + " WHERE account_id = ? AND device_id = ? AND kind = ? ORDER BY key_id LIMIT 1 FOR UPDATE SKIP LOCKED)"
                + " RETURNING key_id, public_key, signature")) {
      take.setObject(1, device.account());
      take.setInt(2, device.device());
      take.setInt(3, kind);
      try (ResultSet rs = take.executeQuery()) {
        return rs.next() ? new PreKeys.Key(rs.getInt(1), rs.getBytes(2), rs.getBytes(3)) : null;
      }
    }
  }

  @Override
  public PreKeys.Counts counts(DeviceAddress device) {
    return db.read(
        c -> {
          try (PreparedStatement count =
              c.prepareStatement(
                  "SELECT kind, COUNT(*) FROM one_time_pre_keys WHERE account_id = ? AND device_id = ? GROUP BY kind")) {
            count.setObject(1, device.account());
            count.setInt(2, device.device());
            int ec = 0;
            int kyber = 0;
            try (ResultSet rs = count.executeQuery()) {
              while (rs.next()) {
                if (rs.getInt(1) == EC) {
                  ec = rs.getInt(2);
                } else {
                  kyber = rs.getInt(2);
                }
              }
            }
            return new PreKeys.Counts(ec, kyber);
          }
        });
  }
}
