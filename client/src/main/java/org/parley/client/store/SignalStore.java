package org.parley.client.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.signal.libsignal.protocol.IdentityKey;
import org.signal.libsignal.protocol.IdentityKeyPair;
import org.signal.libsignal.protocol.InvalidKeyException;
import org.signal.libsignal.protocol.InvalidKeyIdException;
import org.signal.libsignal.protocol.InvalidMessageException;
import org.signal.libsignal.protocol.NoSessionException;
import org.signal.libsignal.protocol.ReusedBaseKeyException;
import org.signal.libsignal.protocol.SignalProtocolAddress;
import org.signal.libsignal.protocol.ecc.ECPublicKey;
import org.signal.libsignal.protocol.groups.state.SenderKeyRecord;
import org.signal.libsignal.protocol.state.KyberPreKeyRecord;
import org.signal.libsignal.protocol.state.PreKeyRecord;
import org.signal.libsignal.protocol.state.SessionRecord;
import org.signal.libsignal.protocol.state.SignalProtocolStore;
import org.signal.libsignal.protocol.state.SignedPreKeyRecord;

/**
 * libsignal's stores, kept in the profile's SQLite file. Every write goes through the profile's one
 * connection, so a decrypt that runs inside {@link ProfileStore#transaction} commits the ratchet
 * step together with the message it produced, or neither.
 *
 * <p>Identity pinning (docs/PROTOCOL.md §5): libsignal asks {@link #isTrustedIdentity} before it builds a
 * session, decrypts or encrypts, and the answer comes only from the primary-signed device lists as
 * last verified ({@link Contacts#vouchedKey}): a key is trusted, in either direction, exactly when it
 * is the one the list vouches for at that device, and the account's identity is not held.
 */
public final class SignalStore implements SignalProtocolStore {
  static final String IDENTITY_KEY_PAIR = "identity_key_pair";
  static final String REGISTRATION_ID = "registration_id";

  private final ProfileStore store;
  private final Contacts contacts;
  private final Clock clock;
  private IdentityKeyPair identity;
  private int registrationId;

  public SignalStore(ProfileStore store, Clock clock) {
    this.store = store;
    this.contacts = new Contacts(store);
    this.clock = clock;
  }

  /** Sets this device's identity (registration or linking). */
  public void initialize(IdentityKeyPair identity, int registrationId) {
    store.putSetting(IDENTITY_KEY_PAIR, identity.serialize());
    store.putNumber(REGISTRATION_ID, registrationId);
    this.identity = identity;
    this.registrationId = registrationId;
  }

  public boolean hasIdentity() {
    return store.setting(IDENTITY_KEY_PAIR) != null;
  }

  @Override
  public IdentityKeyPair getIdentityKeyPair() {
    if (identity == null) {
      byte[] serialized = store.setting(IDENTITY_KEY_PAIR);
      if (serialized == null) {
        throw new IllegalStateException("this profile has no identity key yet");
      }
      try {
        identity = new IdentityKeyPair(serialized);
      } catch (InvalidKeyException e) {
        throw new IllegalStateException("the stored identity key is corrupt", e);
      }
    }
    return identity;
  }

  @Override
  public int getLocalRegistrationId() {
    if (registrationId == 0) {
      registrationId = (int) store.number(REGISTRATION_ID, 0);
    }
    return registrationId;
  }

  // ------------------------------------------------------------------ identities

  @Override
  public IdentityChange saveIdentity(SignalProtocolAddress address, IdentityKey identityKey) {
    IdentityKey existing = getIdentity(address);
    if (identityKey.equals(existing)) {
      return IdentityChange.NEW_OR_UNCHANGED;
    }
    store.transaction(c -> {
      PreparedStatement put =
          store.statement(
              "INSERT OR REPLACE INTO identities (account_id, device_id, identity_key, first_seen) VALUES (?,?,?,?)");
      put.setString(1, address.getName());
      put.setInt(2, address.getDeviceId());
      put.setBytes(3, identityKey.serialize());
      put.setLong(4, clock.millis());
      return put.executeUpdate();
    });
    return existing == null ? IdentityChange.NEW_OR_UNCHANGED : IdentityChange.REPLACED_EXISTING;
  }

  @Override
  public boolean isTrustedIdentity(
      SignalProtocolAddress address, IdentityKey identityKey, Direction direction) {
    byte[] vouched = contacts.vouchedKey(address.getName(), address.getDeviceId());
    return vouched != null && Arrays.equals(vouched, identityKey.serialize());
  }

  @Override
  public IdentityKey getIdentity(SignalProtocolAddress address) {
    byte[] key = blob("SELECT identity_key FROM identities WHERE account_id = ? AND device_id = ?", address);
    try {
      return key == null ? null : new IdentityKey(key);
    } catch (InvalidKeyException e) {
      throw new IllegalStateException(e);
    }
  }

  // ------------------------------------------------------------------ one-time EC pre-keys

  @Override
  public PreKeyRecord loadPreKey(int preKeyId) throws InvalidKeyIdException {
    byte[] record = blob("SELECT record FROM pre_keys WHERE id = ?", preKeyId);
    if (record == null) {
      throw new InvalidKeyIdException("no pre-key " + preKeyId);
    }
    try {
      return new PreKeyRecord(record);
    } catch (InvalidMessageException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void storePreKey(int preKeyId, PreKeyRecord record) {
    put("INSERT OR REPLACE INTO pre_keys (id, record) VALUES (?, ?)", preKeyId, record.serialize());
  }

  @Override
  public boolean containsPreKey(int preKeyId) {
    return blob("SELECT record FROM pre_keys WHERE id = ?", preKeyId) != null;
  }

  @Override
  public void removePreKey(int preKeyId) {
    update("DELETE FROM pre_keys WHERE id = ?", preKeyId);
  }

  // ------------------------------------------------------------------ signed pre-keys

  @Override
  public SignedPreKeyRecord loadSignedPreKey(int signedPreKeyId) throws InvalidKeyIdException {
    byte[] record = blob("SELECT record FROM signed_pre_keys WHERE id = ?", signedPreKeyId);
    if (record == null) {
      throw new InvalidKeyIdException("no signed pre-key " + signedPreKeyId);
    }
    try {
      return new SignedPreKeyRecord(record);
    } catch (InvalidMessageException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public List<SignedPreKeyRecord> loadSignedPreKeys() {
    List<SignedPreKeyRecord> out = new ArrayList<>();
    for (byte[] record : blobs("SELECT record FROM signed_pre_keys ORDER BY id")) {
      try {
        out.add(new SignedPreKeyRecord(record));
      } catch (InvalidMessageException e) {
        throw new IllegalStateException(e);
      }
    }
    return out;
  }

  @Override
  public void storeSignedPreKey(int signedPreKeyId, SignedPreKeyRecord record) {
    put("INSERT OR REPLACE INTO signed_pre_keys (id, record) VALUES (?, ?)", signedPreKeyId, record.serialize());
  }

  @Override
  public boolean containsSignedPreKey(int signedPreKeyId) {
    return blob("SELECT record FROM signed_pre_keys WHERE id = ?", signedPreKeyId) != null;
  }

  @Override
  public void removeSignedPreKey(int signedPreKeyId) {
    update("DELETE FROM signed_pre_keys WHERE id = ?", signedPreKeyId);
  }

  // ------------------------------------------------------------------ Kyber pre-keys

  @Override
  public KyberPreKeyRecord loadKyberPreKey(int kyberPreKeyId) throws InvalidKeyIdException {
    byte[] record = blob("SELECT record FROM kyber_pre_keys WHERE id = ?", kyberPreKeyId);
    if (record == null) {
      throw new InvalidKeyIdException("no Kyber pre-key " + kyberPreKeyId);
    }
    try {
      return new KyberPreKeyRecord(record);
    } catch (InvalidMessageException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public List<KyberPreKeyRecord> loadKyberPreKeys() {
    List<KyberPreKeyRecord> out = new ArrayList<>();
    for (byte[] record : blobs("SELECT record FROM kyber_pre_keys ORDER BY id")) {
      try {
        out.add(new KyberPreKeyRecord(record));
      } catch (InvalidMessageException e) {
        throw new IllegalStateException(e);
      }
    }
    return out;
  }

  @Override
  public void storeKyberPreKey(int kyberPreKeyId, KyberPreKeyRecord record) {
    storeKyberPreKey(kyberPreKeyId, record, false);
  }

  public void storeKyberPreKey(int kyberPreKeyId, KyberPreKeyRecord record, boolean lastResort) {
    store.transaction(c -> {
      try (PreparedStatement put =
          c.prepareStatement(
              "INSERT OR REPLACE INTO kyber_pre_keys (id, record, last_resort) VALUES (?,?,?)")) {
        put.setInt(1, kyberPreKeyId);
        put.setBytes(2, record.serialize());
        put.setInt(3, lastResort ? 1 : 0);
        return put.executeUpdate();
      }
    });
  }

  @Override
  public boolean containsKyberPreKey(int kyberPreKeyId) {
    return blob("SELECT record FROM kyber_pre_keys WHERE id = ?", kyberPreKeyId) != null;
  }

  /** The ids of the Kyber last-resort keys this device holds (the current one and replaced ones). */
  public List<Integer> lastResortKyberPreKeyIds() {
    return store.read(c -> {
      List<Integer> ids = new ArrayList<>();
      try (PreparedStatement select =
              c.prepareStatement("SELECT id FROM kyber_pre_keys WHERE last_resort = 1 ORDER BY id");
          ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          ids.add(rs.getInt(1));
        }
      }
      return ids;
    });
  }

  /** Deletes a (replaced) Kyber key and the base keys remembered against it. */
  public void removeKyberPreKey(int kyberPreKeyId) {
    update("DELETE FROM kyber_base_keys WHERE kyber_id = ?", kyberPreKeyId);
    update("DELETE FROM kyber_pre_keys WHERE id = ?", kyberPreKeyId);
  }

  /** A one-time key is deleted; a last-resort key remembers the base key, so a replay is refused. */
  @Override
  public void markKyberPreKeyUsed(int kyberPreKeyId, int signedPreKeyId, ECPublicKey baseKey)
      throws ReusedBaseKeyException {
    boolean reused =
        store.transaction(c -> {
          boolean lastResort;
          try (PreparedStatement select =
              c.prepareStatement("SELECT last_resort FROM kyber_pre_keys WHERE id = ?")) {
            select.setInt(1, kyberPreKeyId);
            try (ResultSet rs = select.executeQuery()) {
              lastResort = rs.next() && rs.getInt(1) == 1;
            }
          }
          if (!lastResort) {
            try (PreparedStatement delete = c.prepareStatement("DELETE FROM kyber_pre_keys WHERE id = ?")) {
              delete.setInt(1, kyberPreKeyId);
              delete.executeUpdate();
            }
            return false;
          }
          try (PreparedStatement insert =
              c.prepareStatement(
                  "INSERT OR IGNORE INTO kyber_base_keys (kyber_id, signed_id, base_key) VALUES (?,?,?)")) {
            insert.setInt(1, kyberPreKeyId);
            insert.setInt(2, signedPreKeyId);
            insert.setBytes(3, baseKey.serialize());
            return insert.executeUpdate() == 0;
          }
        });
    if (reused) {
      throw new ReusedBaseKeyException();
    }
  }

  // ------------------------------------------------------------------ sessions

  @Override
  public SessionRecord loadSession(SignalProtocolAddress address) {
    byte[] record = blob("SELECT record FROM sessions WHERE account_id = ? AND device_id = ?", address);
    try {
      return record == null ? null : new SessionRecord(record);
    } catch (InvalidMessageException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public List<SessionRecord> loadExistingSessions(List<SignalProtocolAddress> addresses)
      throws NoSessionException {
    List<SessionRecord> out = new ArrayList<>(addresses.size());
    for (SignalProtocolAddress address : addresses) {
      SessionRecord record = loadSession(address);
      if (record == null) {
        throw new NoSessionException(address, "no session for " + address);
      }
      out.add(record);
    }
    return out;
  }

  @Override
  public List<Integer> getSubDeviceSessions(String name) {
    return store.read(c -> {
      try (PreparedStatement select =
          c.prepareStatement("SELECT device_id FROM sessions WHERE account_id = ? AND device_id != 1")) {
        select.setString(1, name);
        List<Integer> ids = new ArrayList<>();
        try (ResultSet rs = select.executeQuery()) {
          while (rs.next()) {
            ids.add(rs.getInt(1));
          }
        }
        return ids;
      }
    });
  }

  @Override
  public void storeSession(SignalProtocolAddress address, SessionRecord record) {
    store.transaction(c -> {
      PreparedStatement put = store.statement("INSERT OR REPLACE INTO sessions (account_id, device_id, record) VALUES (?,?,?)");
      put.setString(1, address.getName());
      put.setInt(2, address.getDeviceId());
      put.setBytes(3, record.serialize());
      return put.executeUpdate();
    });
  }

  @Override
  public boolean containsSession(SignalProtocolAddress address) {
    SessionRecord record = loadSession(address);
    return record != null && record.hasSenderChain();
  }

  @Override
  public void deleteSession(SignalProtocolAddress address) {
    store.transaction(c -> {
      try (PreparedStatement delete =
          c.prepareStatement("DELETE FROM sessions WHERE account_id = ? AND device_id = ?")) {
        delete.setString(1, address.getName());
        delete.setInt(2, address.getDeviceId());
        return delete.executeUpdate();
      }
    });
  }

  @Override
  public void deleteAllSessions(String name) {
    store.transaction(c -> {
      try (PreparedStatement delete = c.prepareStatement("DELETE FROM sessions WHERE account_id = ?")) {
        delete.setString(1, name);
        return delete.executeUpdate();
      }
    });
  }

  // ------------------------------------------------------------------ sender keys

  @Override
  public void storeSenderKey(SignalProtocolAddress sender, UUID distributionId, SenderKeyRecord record) {
    store.transaction(c -> {
      try (PreparedStatement put =
          c.prepareStatement(
              "INSERT OR REPLACE INTO sender_keys (account_id, device_id, distribution_id, record) VALUES (?,?,?,?)")) {
        put.setString(1, sender.getName());
        put.setInt(2, sender.getDeviceId());
        put.setString(3, distributionId.toString());
        put.setBytes(4, record.serialize());
        return put.executeUpdate();
      }
    });
  }

  @Override
  public SenderKeyRecord loadSenderKey(SignalProtocolAddress sender, UUID distributionId) {
    byte[] record =
        store.read(c -> {
          try (PreparedStatement select =
              c.prepareStatement(
                  "SELECT record FROM sender_keys WHERE account_id = ? AND device_id = ? AND distribution_id = ?")) {
            select.setString(1, sender.getName());
            select.setInt(2, sender.getDeviceId());
            select.setString(3, distributionId.toString());
            try (ResultSet rs = select.executeQuery()) {
              return rs.next() ? rs.getBytes(1) : null;
            }
          }
        });
    try {
      return record == null ? null : new SenderKeyRecord(record);
    } catch (InvalidMessageException e) {
      throw new IllegalStateException(e);
    }
  }

  // ------------------------------------------------------------------ helpers

  private byte[] blob(String sql, SignalProtocolAddress address) {
    return store.read(c -> {
      PreparedStatement select = store.statement(sql); // fixed SQL of this class: cached
      select.setString(1, address.getName());
      select.setInt(2, address.getDeviceId());
      return first(select);
    });
  }

  private byte[] blob(String sql, int id) {
    return store.read(c -> {
      PreparedStatement select = store.statement(sql); // fixed SQL of this class: cached
      select.setInt(1, id);
      return first(select);
    });
  }

  private static byte[] first(PreparedStatement select) throws SQLException {
    try (ResultSet rs = select.executeQuery()) {
      return rs.next() ? rs.getBytes(1) : null;
    }
  }

  private List<byte[]> blobs(String sql) {
    return store.read(c -> {
      List<byte[]> out = new ArrayList<>();
      try (PreparedStatement select = c.prepareStatement(sql);
          ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getBytes(1));
        }
      }
      return out;
    });
  }

  private void put(String sql, int id, byte[] value) {
    store.transaction(c -> {
      try (PreparedStatement put = c.prepareStatement(sql)) {
        put.setInt(1, id);
        put.setBytes(2, value);
        return put.executeUpdate();
      }
    });
  }

  private void update(String sql, int id) {
    store.transaction((Connection c) -> {
      try (PreparedStatement update = c.prepareStatement(sql)) {
        update.setInt(1, id);
        return update.executeUpdate();
      }
    });
  }
}
