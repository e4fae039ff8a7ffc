package org.parley.server.testing;

import com.google.protobuf.ByteString;
import java.security.SecureRandom;
import org.parley.protocol.wire.DeviceKind;
import org.parley.protocol.wire.KeyUpload;
import org.parley.protocol.wire.NewDevice;
import org.parley.protocol.wire.PreKey;
import org.parley.protocol.wire.SignedPreKey;
import org.parley.server.auth.Credentials;
import org.signal.libsignal.protocol.IdentityKeyPair;
import org.signal.libsignal.protocol.ecc.ECKeyPair;
import org.signal.libsignal.protocol.kem.KEMKeyPair;
import org.signal.libsignal.protocol.kem.KEMKeyType;

/**
 * The keys of a device that exists only in a test. They are real libsignal keys, so everything the
 * server checks (key encodings, pre-key signatures) passes; the private halves are simply dropped.
 */
public final class TestKeys {
  private static final int MAX_REGISTRATION_ID = 16380;

  private final IdentityKeyPair identity;
  private final int registrationId;
  private final byte[] credential;
  private int nextKeyId = 1;

  private TestKeys(IdentityKeyPair identity, int registrationId, byte[] credential) {
    this.identity = identity;
    this.registrationId = registrationId;
    this.credential = credential;
  }

  public static TestKeys generate() {
    SecureRandom random = new SecureRandom();
    byte[] credential = new byte[Credentials.SECRET_BYTES];
    random.nextBytes(credential);
    return new TestKeys(IdentityKeyPair.generate(), 1 + random.nextInt(MAX_REGISTRATION_ID), credential);
  }

  public IdentityKeyPair identity() {
    return identity;
  }

  public byte[] identityKey() {
    return identity.getPublicKey().serialize();
  }

  public int registrationId() {
    return registrationId;
  }

  /** The device's secret; the server only ever stores its hash. */
  public byte[] credential() {
    return credential.clone();
  }

  /** What a registering primary or a linking companion says about itself. */
  public NewDevice newDevice(String name, DeviceKind kind) {
    return NewDevice.newBuilder()
        .setIdentityKey(ByteString.copyFrom(identityKey()))
        .setRegistrationId(registrationId)
        .setCredential(ByteString.copyFrom(credential))
        .setName(name)
        .setKind(kind)
        .setKeys(upload(2, 2))
        .build();
  }

  /** A signed pre-key, a Kyber last-resort key and the given numbers of one-time keys. */
  public KeyUpload upload(int oneTimePreKeys, int oneTimeKyberPreKeys) {
    KeyUpload.Builder upload =
        KeyUpload.newBuilder().setSignedPreKey(signedPreKey()).setKyberLastResort(kyberPreKey());
    for (int i = 0; i < oneTimePreKeys; i++) {
      upload.addOneTimePreKeys(oneTimePreKey());
    }
    for (int i = 0; i < oneTimeKyberPreKeys; i++) {
      upload.addOneTimeKyberPreKeys(kyberPreKey());
    }
    return upload.build();
  }

  public SignedPreKey signedPreKey() {
    return signed(ECKeyPair.generate().getPublicKey().serialize());
  }

  public SignedPreKey kyberPreKey() {
    return signed(KEMKeyPair.generate(KEMKeyType.KYBER_1024).getPublicKey().serialize());
  }

  public PreKey oneTimePreKey() {
    return PreKey.newBuilder()
        .setId(nextKeyId++)
        .setPublicKey(ByteString.copyFrom(ECKeyPair.generate().getPublicKey().serialize()))
        .build();
  }

  /** Any bytes, signed by this device's identity key, as a signed pre-key would be. */
  public SignedPreKey signed(byte[] publicKey) {
    return SignedPreKey.newBuilder()
        .setId(nextKeyId++)
        .setPublicKey(ByteString.copyFrom(publicKey))
        .setSignature(ByteString.copyFrom(identity.getPrivateKey().calculateSignature(publicKey)))
        .build();
  }
}
