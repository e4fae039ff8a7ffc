package org.parley.bench.population;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import org.parley.protocol.wire.KeyUpload;
import org.parley.protocol.wire.SignedPreKey;
import org.signal.libsignal.protocol.IdentityKeyPair;
import org.signal.libsignal.protocol.ecc.ECKeyPair;
import org.signal.libsignal.protocol.kem.KEMKeyPair;
import org.signal.libsignal.protocol.kem.KEMKeyType;

/**
 * Identity keys with their signed pre-key and Kyber last-resort key, made once and handed out round
 * robin. The relay never needs two devices to hold different identities (it checks signatures, not
 * uniqueness), and the relay modes send pre-encrypted payloads, so a small pool lets a benchmark
 * register tens of thousands of devices without spending minutes on key generation. Credentials and
 * registration ids are still unique per device.
 */
public final class KeyPool {
  /** One identity and the keys a new device uploads with it. */
  public record Identity(IdentityKeyPair pair, KeyUpload keys) {
    public ByteString publicKey() {
      return ByteString.copyFrom(pair.getPublicKey().serialize());
    }
  }

  private final List<Identity> identities = new ArrayList<>();

  public KeyPool(int size) {
    for (int i = 0; i < size; i++) {
      identities.add(make());
    }
  }

  public Identity get(int index) {
    return identities.get(Math.floorMod(index, identities.size()));
  }

  private static Identity make() {
    IdentityKeyPair identity = IdentityKeyPair.generate();
    ECKeyPair signed = ECKeyPair.generate();
    KEMKeyPair kyber = KEMKeyPair.generate(KEMKeyType.KYBER_1024);
    byte[] signedPublic = signed.getPublicKey().serialize();
    byte[] kyberPublic = kyber.getPublicKey().serialize();
    KeyUpload keys =
        KeyUpload.newBuilder()
            .setSignedPreKey(
                SignedPreKey.newBuilder()
                    .setId(1)
                    .setPublicKey(ByteString.copyFrom(signedPublic))
                    .setSignature(ByteString.copyFrom(identity.getPrivateKey().calculateSignature(signedPublic))))
            .setKyberLastResort(
                SignedPreKey.newBuilder()
                    .setId(1)
                    .setPublicKey(ByteString.copyFrom(kyberPublic))
                    .setSignature(ByteString.copyFrom(identity.getPrivateKey().calculateSignature(kyberPublic))))
            .build();
    return new Identity(identity, keys);
  }
}
