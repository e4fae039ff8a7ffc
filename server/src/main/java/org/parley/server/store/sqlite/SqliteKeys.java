package org.parley.server.store.sqlite;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.Keys;
import org.parley.server.store.PreKeys;

final class SqliteKeys implements Keys {
  static final int EC = 0;
  static final int KYBER = 1;

  private final SqliteDatabase db;

  SqliteKeys(SqliteDatabase db) {
    this.db = db;
  }

  @Override
  public void upload(DeviceAddress device, PreKeys.Upload keys) {
    db.writeAndWait(
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
            "INSERT OR REPLACE INTO one_time_pre_keys (account_id, device_id, kind, key_id, public_key, signature) VALUES (?,?,?,?,?,?)")) {
      addOneTime(insert, device, EC, keys.oneTimePreKeys());
      addOneTime(insert, device, KYBER, keys.oneTimeKyberPreKeys());
      insert.executeBatch();
    }
  }

  private static void addOneTime(
      PreparedStatement insert, DeviceAddress device, int kind, List<PreKeys.Key> keys)
      throws SQLException {
    if (keys == null) {
      return;
    }
    for (PreKeys.Key key : keys) {
      insert.setString(1, device.account().toString());
      insert.setInt(2, device.device());
      insert.setInt(3, kind);
      insert.setInt(4, key.id());
      insert.setBytes(5, key.publicKey());
      insert.setBytes(6, key.signature());
      insert.addBatch();
    }
  }

  private static void putSigned(Connection c, DeviceAddress device, int kind, PreKeys.Key key)
      throws SQLException {
    try (PreparedStatement put =
        c.prepareStatement(
            "INSERT OR REPLACE INTO signed_pre_keys (account_id, device_id, kind, key_id, public_key, signature) VALUES (?,?,?,?,?,?)")) {
      put.setString(1, device.account().toString());
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
        delete.setString(1, device.account().toString());
        delete.setInt(2, device.device());
        delete.executeUpdate();
      }
    }
  }

  @Override
  public Optional<PreKeys.Bundle> take(DeviceAddress device) {
    return db.writeAndWait(c -> take(c, device));
  }

  @Override
  public List<Optional<PreKeys.Bundle>> takeAll(List<DeviceAddress> devices) {
    return db.writeAndWait(
        c -> {
          List<Optional<PreKeys.Bundle>> out = new ArrayList<>(devices.size());
          for (DeviceAddress device : devices) {
            out.add(take(c, device));
          }
          return out;
        });
  }

  private Optional<PreKeys.Bundle> take(Connection c, DeviceAddress device) throws SQLException {
    var record = SqliteAccounts.device(db.prepared(c, SqliteAccounts.SELECT_DEVICE), device);
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
  }

  private PreKeys.Key signed(Connection c, DeviceAddress device, int kind) throws SQLException {
    PreparedStatement select =
        db.prepared(
            c, "SELECT key_id, public_key, signature FROM signed_pre_keys WHERE account_id = ? AND device_id = ? AND kind = ?");
    select.setString(1, device.account().toString());
    select.setInt(2, device.device());
    select.setInt(3, kind);
    try (ResultSet rs = select.executeQuery()) {
      return rs.next() ? new PreKeys.Key(rs.getInt(1), rs.getBytes(2), rs.getBytes(3)) : null;
    }
  }

  private PreKeys.Key takeOneTime(Connection c, DeviceAddress device, int kind) throws SQLException {
    PreparedStatement take =
        db.prepared(
            c,
            "DELETE FROM one_time_pre_keys WHERE account_id = ?1 AND device_id = ?2 AND kind = ?3"
                + " AND key_id = (SELECT MIN(key_id) FROM one_time_pre_keys"
                + " WHERE account_id = ?1 AND device_id = ?2 AND kind = ?3)"
                + " RETURNING key_id, public_key, signature");
    take.setString(1, device.account().toString());
    take.setInt(2, device.device());
    take.setInt(3, kind);
    try (ResultSet rs = take.executeQuery()) {
      return rs.next() ? new PreKeys.Key(rs.getInt(1), rs.getBytes(2), rs.getBytes(3)) : null;
    }
  }

  @Override
  public PreKeys.Counts counts(DeviceAddress device) {
    return db.read(
        c -> {
          try (PreparedStatement count =
              c.prepareStatement(
                  "SELECT kind, COUNT(*) FROM one_time_pre_keys WHERE account_id = ? AND device_id = ? GROUP BY kind")) {
            count.setString(1, device.account().toString());
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
