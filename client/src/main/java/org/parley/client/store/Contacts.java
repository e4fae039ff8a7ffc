package org.parley.client.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Accounts this device knows (its own included): phone number, pinned primary identity, the highest
 * device-list version seen, and the devices as last verified.
 */
public final class Contacts {
  private final ProfileStore store;

  public Contacts(ProfileStore store) {
    this.store = store;
  }

  public record Known(UUID account, String phone, byte[] primaryIdentity, long listVersion, long verifiedAt) {}

  /** A device as the server listed it; {@code trusted} when the primary's signed list vouches for it. */
  public record KnownDevice(
      int deviceId, int registrationId, byte[] identityKey, boolean trusted, String name, int kind) {}

  public Optional<Known> byAccount(UUID account) {
    return find("account_id", account.toString());
  }

  public Optional<Known> byPhone(String phone) {
    return find("phone", phone);
  }

  private Optional<Known> find(String column, String value) {
    return store.read(c -> {
      try (PreparedStatement select =
          c.prepareStatement(
              "SELECT account_id, phone, primary_identity, list_version, verified_at FROM accounts WHERE "
                  + column + " = ? ORDER BY verified_at DESC LIMIT 1")) {
        select.setString(1, value);
        try (ResultSet rs = select.executeQuery()) {
          return rs.next()
              ? Optional.of(
                  new Known(
                      UUID.fromString(rs.getString(1)),
                      rs.getString(2),
                      rs.getBytes(3),
                      rs.getLong(4),
                      rs.getLong(5)))
              : Optional.empty();
        }
      }
    });
  }

  public String phoneOf(UUID account) {
    return byAccount(account).map(Known::phone).orElse(null);
  }

  /** Remembers an account's number without verifying anything (seen on an envelope). */
  public void notePhone(UUID account, String phone) {
    if (phone == null || phone.isEmpty()) {
      return;
    }
    store.transaction(c -> {
      try (PreparedStatement upsert =
          c.prepareStatement(
              "INSERT INTO accounts (account_id, phone) VALUES (?, ?)"
                  + " ON CONFLICT (account_id) DO UPDATE SET phone = excluded.phone")) {
        upsert.setString(1, account.toString());
        upsert.setString(2, phone);
        return upsert.executeUpdate();
      }
    });
  }

  /** Stores a verification result: pinned identity, version floor and the devices' trust. */
  public void verified(
      UUID account, String phone, byte[] primaryIdentity, long listVersion, long now, List<KnownDevice> devices) {
    store.transaction(c -> {
      try (PreparedStatement upsert =
          c.prepareStatement(
              "INSERT INTO accounts (account_id, phone, primary_identity, list_version, verified_at) VALUES (?,?,?,?,?)"
                  + " ON CONFLICT (account_id) DO UPDATE SET phone = excluded.phone,"
                  + " primary_identity = COALESCE(excluded.primary_identity, accounts.primary_identity),"
                  + " list_version = MAX(accounts.list_version, excluded.list_version),"
                  + " verified_at = excluded.verified_at")) {
        upsert.setString(1, account.toString());
        upsert.setString(2, phone);
        upsert.setBytes(3, primaryIdentity);
        upsert.setLong(4, listVersion);
        upsert.setLong(5, now);
        upsert.executeUpdate();
      }
      try (PreparedStatement delete = c.prepareStatement("DELETE FROM account_devices WHERE account_id = ?")) {
        delete.setString(1, account.toString());
        delete.executeUpdate();
      }
      try (PreparedStatement insert =
          c.prepareStatement(
              "INSERT INTO account_devices (account_id, device_id, registration_id, identity_key, trusted, name, kind)"
                  + " VALUES (?,?,?,?,?,?,?)")) {
        for (KnownDevice device : devices) {
          insert.setString(1, account.toString());
          insert.setInt(2, device.deviceId());
          insert.setInt(3, device.registrationId());
          insert.setBytes(4, device.identityKey());
          insert.setInt(5, device.trusted() ? 1 : 0);
          insert.setString(6, device.name());
          insert.setInt(7, device.kind());
          insert.addBatch();
        }
        insert.executeBatch();
      }
      return null;
    });
  }

  /** Pins the primary identity of an account before its first list is seen (a companion's own). */
  public void pinPrimary(UUID account, String phone, byte[] primaryIdentity) {
    store.transaction(c -> {
      try (PreparedStatement upsert =
          c.prepareStatement(
              "INSERT INTO accounts (account_id, phone, primary_identity) VALUES (?,?,?)"
                  + " ON CONFLICT (account_id) DO UPDATE SET primary_identity = excluded.primary_identity,"
                  + " phone = excluded.phone")) {
        upsert.setString(1, account.toString());
        upsert.setString(2, phone);
        upsert.setBytes(3, primaryIdentity);
        return upsert.executeUpdate();
      }
    });
  }

  public List<KnownDevice> devices(UUID account) {
    return store.read(c -> {
      try (PreparedStatement select =
          c.prepareStatement(
              "SELECT device_id, registration_id, identity_key, trusted, name, kind FROM account_devices"
                  + " WHERE account_id = ? ORDER BY device_id")) {
        select.setString(1, account.toString());
        List<KnownDevice> out = new ArrayList<>();
        try (ResultSet rs = select.executeQuery()) {
          while (rs.next()) {
            out.add(
                new KnownDevice(
                    rs.getInt(1), rs.getInt(2), rs.getBytes(3), rs.getInt(4) == 1, rs.getString(5), rs.getInt(6)));
          }
        }
        return out;
      }
    });
  }
}
