package org.parley.client.keys;

import com.google.protobuf.ByteString;
import org.parley.client.store.ProfileStore;
import org.parley.client.store.SignalStore;
import org.parley.protocol.wire.KeyUpload;
import org.parley.protocol.wire.PreKey;
import org.parley.protocol.wire.SignedPreKey;
import org.signal.libsignal.protocol.IdentityKeyPair;
import org.signal.libsignal.protocol.ecc.ECKeyPair;
import org.signal.libsignal.protocol.kem.KEMKeyPair;
import org.signal.libsignal.protocol.kem.KEMKeyType;
import org.signal.libsignal.protocol.state.KyberPreKeyRecord;
import org.signal.libsignal.protocol.state.PreKeyRecord;
import org.signal.libsignal.protocol.state.SignedPreKeyRecord;

/**
 * Makes this device's pre-keys: keeps the private halves in the profile and returns the public
 * halves to upload. Ids come from counters in the profile and wrap within libsignal's 24-bit range.
 */
public final class PreKeys {
  /** One-time keys of each kind generated per batch (registration, refill). */
  public static final int BATCH = 100;

  private static final int MAX_ID = 0xFFFFFF;
  private static final String NEXT_PRE_KEY = "next_pre_key_id";
  private static final String NEXT_KYBER = "next_kyber_pre_key_id";
  private static final String NEXT_SIGNED = "next_signed_pre_key_id";

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
      upload.setSignedPreKey(newSignedPreKey(now));
      upload.setKyberLastResort(newKyber(now, true));
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
    return SignedPreKey.newBuilder()
        .setId(id)
        .setPublicKey(ByteString.copyFrom(publicKey))
        .setSignature(ByteString.copyFrom(signature))
        .build();
  }

  private SignedPreKey newKyber(long now, boolean lastResort) {
    IdentityKeyPair identity = signal.getIdentityKeyPair();
    int id = nextId(NEXT_KYBER);
    KEMKeyPair pair = KEMKeyPair.generate(KEMKeyType.KYBER_1024);
    byte[] publicKey = pair.getPublicKey().serialize();
    byte[] signature = identity.getPrivateKey().calculateSignature(publicKey);
    signal.storeKyberPreKey(id, new KyberPreKeyRecord(id, now, pair, signature), lastResort);
    return SignedPreKey.newBuilder()
        .setId(id)
        .setPublicKey(ByteString.copyFrom(publicKey))
        .setSignature(ByteString.copyFrom(signature))
        .build();
  }

  private int nextId(String counter) {
    int id = (int) profile.number(counter, 1);
    profile.putNumber(counter, id >= MAX_ID ? 1 : id + 1);
    return id;
  }
}
