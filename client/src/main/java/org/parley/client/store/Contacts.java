package org.parley.client.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Accounts this device knows (its own included): phone number, pinned primary identity, the highest
 * device-list version seen (and which list that was), whether the user verified the safety number or
 * holds a new identity, and the devices as last verified. The identity keys of trusted devices here
 * are the only ones a session may be built or believed under (docs/PROTOCOL.md §5, identity pinning).
 */
public final class Contacts {
  private final ProfileStore store;

  public Contacts(ProfileStore store) {
    this.store = store;
  }

  /**
   * @param primaryIdentity the trusted (pinned) primary identity key
   * @param listHash SHA-256 of the signed list seen at {@code listVersion}
   * @param verified the user compared the safety number of {@code primaryIdentity}
   * @param pendingIdentity a new primary identity held until the user trusts it, else {@code null}
   * @param changedFrom the identity before the last change, while an identity-changed notice is owed
   */
  public record Known(
      UUID account,
      String phone,
      byte[] primaryIdentity,
      long listVersion,
      long verifiedAt,
      byte[] listHash,
      boolean verified,
      byte[] pendingIdentity,
      byte[] changedFrom,
      long changedAt) {
    /** Sends are refused and receives quarantined until the user trusts the new identity. */
    public boolean held() {
      return pendingIdentity != null;
    }
  }

  /** What a verification decided about an account's identity, stored with its devices. */
  public record Verification(
      byte[] primaryIdentity, byte[] pendingIdentity, long listVersion, byte[] listHash, boolean changed,
      byte[] changedFrom) {}

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
      // column is "account_id" or "phone": two fixed statements, cached (a group send looks up every member)
      PreparedStatement select =
          store.statement(
              "SELECT account_id, phone, primary_identity, list_version, verified_at, list_hash, verified,"
                  + " pending_identity, changed_from, changed_at FROM accounts WHERE "
                  + column + " = ? ORDER BY verified_at DESC LIMIT 1");
      select.setString(1, value);
      try (ResultSet rs = select.executeQuery()) {
        return rs.next()
            ? Optional.of(
                new Known(
                    UUID.fromString(rs.getString(1)),
                    rs.getString(2),
                    rs.getBytes(3),
                    rs.getLong(4),
                    rs.getLong(5),
                    rs.getBytes(6),
                    rs.getInt(7) == 1,
                    rs.getBytes(8),
                    rs.getBytes(9),
                    rs.getLong(10)))
            : Optional.empty();
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

  /**
   * Stores a verification result: the trusted identity (and one held, if any), the version floor and
   * the list seen at it, and the devices' trust. A {@code null} identity or hash keeps the stored one.
   * When {@code changed}, the identity before ({@code changedFrom}) is kept for the notice owed.
   */
  public void verified(UUID account, String phone, Verification verification, long now, List<KnownDevice> devices) {
    store.transaction(c -> {
      try (PreparedStatement upsert =
          c.prepareStatement(
              "INSERT INTO accounts (account_id, phone, primary_identity, list_version, verified_at, list_hash,"
                  + " pending_identity) VALUES (?,?,?,?,?,?,?)"
                  + " ON CONFLICT (account_id) DO UPDATE SET phone = excluded.phone,"
                  + " primary_identity = COALESCE(excluded.primary_identity, accounts.primary_identity),"
                  + " list_hash = CASE WHEN excluded.list_version > accounts.list_version"
                  + "   OR accounts.list_hash IS NULL THEN COALESCE(excluded.list_hash, accounts.list_hash)"
                  + "   ELSE accounts.list_hash END,"
                  + " list_version = MAX(accounts.list_version, excluded.list_version),"
                  + " pending_identity = excluded.pending_identity,"
                  + " verified_at = excluded.verified_at")) {
        upsert.setString(1, account.toString());
        upsert.setString(2, phone);
        upsert.setBytes(3, verification.primaryIdentity());
        upsert.setLong(4, verification.listVersion());
        upsert.setLong(5, now);
        upsert.setBytes(6, verification.listHash());
        upsert.setBytes(7, verification.pendingIdentity());
        upsert.executeUpdate();
      }
      if (verification.changed()) {
        try (PreparedStatement change =
            c.prepareStatement(
                "UPDATE accounts SET changed_from = ?, changed_at = ?,"
                    + " verified = CASE WHEN pending_identity IS NULL THEN 0 ELSE verified END WHERE account_id = ?")) {
          change.setBytes(1, verification.changedFrom());
          change.setLong(2, now);
          change.setString(3, account.toString());
          change.executeUpdate();
        }
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

  /**
   * The user accepts {@code identity} as the account's primary identity ('parley trust'), verified
   * or not; whatever was held is released.
   */
  public void trust(UUID account, byte[] identity, boolean verified) {
    store.transaction(c -> {
      try (PreparedStatement update =
          c.prepareStatement(
              "UPDATE accounts SET primary_identity = ?, pending_identity = NULL, verified = ? WHERE account_id = ?")) {
        update.setBytes(1, identity);
        update.setInt(2, verified ? 1 : 0);
        update.setString(3, account.toString());
        return update.executeUpdate();
      }
    });
  }

  /** The identity-changed notice has been shown in the receive stream. */
  public void noticeShown(UUID account) {
    store.transaction(c -> {
      try (PreparedStatement update =
          c.prepareStatement("UPDATE accounts SET changed_from = NULL WHERE account_id = ?")) {
        update.setString(1, account.toString());
        return update.executeUpdate();
      }
    });
  }

  /**
   * The identity key the primary's signed list vouches for at this device, if the device is trusted
   * and its account's identity is not held: the only key a session with it may have.
   */
  public byte[] vouchedKey(UUID account, int deviceId) {
    return vouchedKey(account.toString(), deviceId);
  }

  public byte[] vouchedKey(String account, int deviceId) {
    return store.read(c -> {
      PreparedStatement select =
          store.statement(
              "SELECT d.identity_key FROM account_devices d JOIN accounts a ON a.account_id = d.account_id"
                  + " WHERE d.account_id = ? AND d.device_id = ? AND d.trusted = 1 AND a.pending_identity IS NULL");
      select.setString(1, account);
      select.setInt(2, deviceId);
      try (ResultSet rs = select.executeQuery()) {
        return rs.next() ? rs.getBytes(1) : null;
      }
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
      PreparedStatement select =
          store.statement(
              "SELECT device_id, registration_id, identity_key, trusted, name, kind FROM account_devices"
                  + " WHERE account_id = ? ORDER BY device_id");
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
    });
  }
}
