package org.parley.client.keys;

import com.google.protobuf.ByteString;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.parley.client.store.ProfileStore;
import org.parley.client.store.SignalStore;
import org.parley.protocol.wire.KeyUpload;
import org.parley.protocol.wire.PreKey;
import org.parley.protocol.wire.SignedPreKey;
import org.signal.libsignal.protocol.IdentityKeyPair;
import org.signal.libsignal.protocol.InvalidKeyException;
import org.signal.libsignal.protocol.InvalidKeyIdException;
import org.signal.libsignal.protocol.ecc.ECKeyPair;
import org.signal.libsignal.protocol.kem.KEMKeyPair;
import org.signal.libsignal.protocol.kem.KEMKeyType;
import org.signal.libsignal.protocol.state.KyberPreKeyRecord;
import org.signal.libsignal.protocol.state.PreKeyRecord;
import org.signal.libsignal.protocol.state.SignedPreKeyRecord;

/**
 * Makes this device's pre-keys: keeps the private halves in the profile and returns the public
 * halves to upload. Ids come from counters in the profile and wrap within libsignal's 24-bit range.
 *
 * <p>Key hygiene: the signed EC pre-key and the Kyber last-resort pre-key are used by every session
 * started while they are current, so they are replaced about weekly ({@link #ROTATE_AFTER}). A
 * replaced key is kept for {@link #KEEP_REPLACED}, as long as the server may keep a message encrypted
 * to it waiting in a queue, and then deleted: whoever copies the profile later cannot open those
 * session starts any more.
 */
public final class PreKeys {
  /** One-time keys of each kind generated per batch (registration, refill). */
  public static final int BATCH = 100;

  private static final int MAX_ID = 0xFFFFFF;
  private static final String NEXT_PRE_KEY = "next_pre_key_id";
  private static final String NEXT_KYBER = "next_kyber_pre_key_id";
  private static final String NEXT_SIGNED = "next_signed_pre_key_id";
  private static final String CURRENT_SIGNED = "signed_pre_key_id";
  private static final String CURRENT_LAST_RESORT = "kyber_last_resort_id";
  /** The signed pre-key id the server was last seen to accept; another current id means "upload it". */
  private static final String UPLOADED_SIGNED = "signed_pre_key_uploaded";

  /** How old the signed and last-resort keys may get before new ones replace them. */
  public static final Duration ROTATE_AFTER = Duration.ofDays(7);
  /** How long a replaced key is kept: the server's default queue time-to-live. */
  public static final Duration KEEP_REPLACED = Duration.ofDays(30);

  private static final int SIGNED = 0;
  private static final int LAST_RESORT = 1;

  private final ProfileStore profile;
  private final SignalStore signal;

  public PreKeys(ProfileStore profile, SignalStore signal) {
    this.profile = profile;
    this.signal = signal;
  }

  /** Everything a new device uploads: signed and last-resort keys plus a batch of one-time keys. */
  public KeyUpload initial(long now) {
    return profile.transaction(c -> {
      KeyUpload.Builder upload = KeyUpload.newBuilder();
      SignedPreKey signed = newSignedPreKey(now);
      SignedPreKey lastResort = newKyber(now, true);
      upload.setSignedPreKey(signed).setKyberLastResort(lastResort);
      profile.putNumber(CURRENT_SIGNED, signed.getId());
      profile.putNumber(CURRENT_LAST_RESORT, lastResort.getId());
      // It travels with the registration (or link); a device that never gets there starts over.
      profile.putNumber(UPLOADED_SIGNED, signed.getId());
      addOneTime(upload, BATCH, BATCH, now);
      return upload.build();
    });
  }

  /** More one-time keys, for the kinds that run low. */
  public KeyUpload refill(int preKeys, int kyberPreKeys, long now) {
    return profile.transaction(c -> {
      KeyUpload.Builder upload = KeyUpload.newBuilder();
      addOneTime(upload, preKeys, kyberPreKeys, now);
      return upload.build();
    });
  }

  /**
   * The signed and last-resort keys to upload now, if any: new ones when the current signed key is
   * older than {@link #ROTATE_AFTER} (the old ones are kept as replaced), or the current ones again
   * when their upload was not confirmed (the device was offline, the connection dropped). Call
   * {@link #uploaded} once the server has accepted them.
   */
  public Optional<KeyUpload> rotation(long now) {
    return profile.transaction(c -> {
      SignedPreKeyRecord signed = currentSigned();
      KyberPreKeyRecord lastResort = currentLastResort();
      if (signed == null || lastResort == null) {
        // Not registered yet: there is nothing to rotate.
        return Optional.empty();
      }
      if (now - signed.getTimestamp() >= ROTATE_AFTER.toMillis()) {
        replaced(SIGNED, signed.getId(), now);
        replaced(LAST_RESORT, lastResort.getId(), now);
        SignedPreKey newSigned = newSignedPreKey(now);
        SignedPreKey newLastResort = newKyber(now, true);
        profile.putNumber(CURRENT_SIGNED, newSigned.getId());
        profile.putNumber(CURRENT_LAST_RESORT, newLastResort.getId());
        return Optional.of(KeyUpload.newBuilder().setSignedPreKey(newSigned).setKyberLastResort(newLastResort).build());
      }
      if (profile.number(UPLOADED_SIGNED, -1) != signed.getId()) {
        return Optional.of(
            KeyUpload.newBuilder()
                .setSignedPreKey(wire(signed.getId(), publicKey(signed), signed.getSignature()))
                .setKyberLastResort(wire(lastResort.getId(), publicKey(lastResort), lastResort.getSignature()))
                .build());
      }
      return Optional.empty();
    });
  }

  /** The server accepted this upload of {@link #rotation}: its keys are what senders now get. */
  public void uploaded(KeyUpload upload) {
    profile.putNumber(UPLOADED_SIGNED, upload.getSignedPreKey().getId());
  }

  /** Deletes the replaced keys whose time is up; returns how many went. */
  public int forgetReplaced(long now) {
    return profile.transaction(c -> {
      List<int[]> expired = new ArrayList<>();
      try (PreparedStatement select =
          c.prepareStatement("SELECT kind, id FROM replaced_pre_keys WHERE replaced_at <= ?")) {
        select.setLong(1, now - KEEP_REPLACED.toMillis());
        try (ResultSet rs = select.executeQuery()) {
          while (rs.next()) {
            expired.add(new int[] {rs.getInt(1), rs.getInt(2)});
          }
        }
      }
      try (PreparedStatement delete = c.prepareStatement("DELETE FROM replaced_pre_keys WHERE kind = ? AND id = ?")) {
        for (int[] key : expired) {
          if (key[0] == SIGNED) {
            signal.removeSignedPreKey(key[1]);
          } else {
            signal.removeKyberPreKey(key[1]);
          }
          delete.setInt(1, key[0]);
          delete.setInt(2, key[1]);
          delete.executeUpdate();
        }
      }
      return expired.size();
    });
  }

  /** The current signed key; on a profile from before rotation, the newest one it holds. */
  private SignedPreKeyRecord currentSigned() {
    long id = profile.number(CURRENT_SIGNED, -1);
    if (id >= 0) {
      try {
        return signal.loadSignedPreKey((int) id);
      } catch (InvalidKeyIdException e) {
        // Fall through to the newest one.
      }
    }
    return signal.loadSignedPreKeys().stream().max(Comparator.comparingLong(SignedPreKeyRecord::getTimestamp)).orElse(null);
  }

  private KyberPreKeyRecord currentLastResort() {
    long id = profile.number(CURRENT_LAST_RESORT, -1);
    List<Integer> ids = signal.lastResortKyberPreKeyIds();
    if (ids.isEmpty()) {
      return null;
    }
    int current = ids.contains((int) id) ? (int) id : ids.getLast();
    try {
      return signal.loadKyberPreKey(current);
    } catch (InvalidKeyIdException e) {
      return null;
    }
  }

  private void replaced(int kind, int id, long now) {
    profile.transaction(c -> {
      try (PreparedStatement insert =
          c.prepareStatement("INSERT OR IGNORE INTO replaced_pre_keys (kind, id, replaced_at) VALUES (?,?,?)")) {
        insert.setInt(1, kind);
        insert.setInt(2, id);
        insert.setLong(3, now);
        return insert.executeUpdate();
      }
    });
  }

  private static byte[] publicKey(SignedPreKeyRecord record) {
    try {
      return record.getKeyPair().getPublicKey().serialize();
    } catch (InvalidKeyException e) {
      throw new IllegalStateException("the stored signed pre-key " + record.getId() + " is corrupt", e);
    }
  }

  private static byte[] publicKey(KyberPreKeyRecord record) {
    try {
      return record.getKeyPair().getPublicKey().serialize();
    } catch (InvalidKeyException e) {
      throw new IllegalStateException("the stored Kyber pre-key " + record.getId() + " is corrupt", e);
    }
  }

  private static SignedPreKey wire(int id, byte[] publicKey, byte[] signature) {
    return SignedPreKey.newBuilder()
        .setId(id)
        .setPublicKey(ByteString.copyFrom(publicKey))
        .setSignature(ByteString.copyFrom(signature))
        .build();
  }

  private void addOneTime(KeyUpload.Builder upload, int preKeys, int kyberPreKeys, long now) {
    for (int i = 0; i < preKeys; i++) {
      int id = nextId(NEXT_PRE_KEY);
      ECKeyPair pair = ECKeyPair.generate();
      signal.storePreKey(id, new PreKeyRecord(id, pair));
      upload.addOneTimePreKeys(
          PreKey.newBuilder().setId(id).setPublicKey(ByteString.copyFrom(pair.getPublicKey().serialize())));
    }
    for (int i = 0; i < kyberPreKeys; i++) {
      upload.addOneTimeKyberPreKeys(newKyber(now, false));
    }
  }

  private SignedPreKey newSignedPreKey(long now) {
    IdentityKeyPair identity = signal.getIdentityKeyPair();
    int id = nextId(NEXT_SIGNED);
    ECKeyPair pair = ECKeyPair.generate();
    byte[] publicKey = pair.getPublicKey().serialize();
    byte[] signature = identity.getPrivateKey().calculateSignature(publicKey);
    signal.storeSignedPreKey(id, new SignedPreKeyRecord(id, now, pair, signature));
    return wire(id, publicKey, signature);
  }

  private SignedPreKey newKyber(long now, boolean lastResort) {
    IdentityKeyPair identity = signal.getIdentityKeyPair();
    int id = nextId(NEXT_KYBER);
    KEMKeyPair pair = KEMKeyPair.generate(KEMKeyType.KYBER_1024);
    byte[] publicKey = pair.getPublicKey().serialize();
    byte[] signature = identity.getPrivateKey().calculateSignature(publicKey);
    signal.storeKyberPreKey(id, new KyberPreKeyRecord(id, now, pair, signature), lastResort);
    return wire(id, publicKey, signature);
  }

  private int nextId(String counter) {
    int id = (int) profile.number(counter, 1);
    profile.putNumber(counter, id >= MAX_ID ? 1 : id + 1);
    return id;
  }
}
