package org.parley.server.keys;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.parley.protocol.wire.KeyUpload;
import org.parley.protocol.wire.PreKey;
import org.parley.protocol.wire.SignedPreKey;
import org.parley.protocol.wire.Status;
import org.parley.server.Limits;
import org.parley.server.store.PreKeys;
import org.parley.server.transport.ApiException;
import org.signal.libsignal.protocol.IdentityKey;
import org.signal.libsignal.protocol.InvalidKeyException;
import org.signal.libsignal.protocol.ecc.ECPublicKey;
import org.signal.libsignal.protocol.kem.KEMPublicKey;

/**
 * Checks uploaded pre-keys before anyone is handed them: every key parses, and every signed key is
 * signed by the uploading device's identity key (a bad bundle would only fail later, at a sender).
 */
public final class KeyValidator {
  private final Limits limits;

  public KeyValidator(Limits limits) {
    this.limits = limits;
  }

  public PreKeys.Upload validate(KeyUpload upload, IdentityKey identity, boolean requireSigned)
      throws ApiException {
    if (requireSigned && (!upload.hasSignedPreKey() || !upload.hasKyberLastResort())) {
      throw new ApiException(
          Status.BAD_REQUEST, "a device needs a signed pre-key and a Kyber last-resort pre-key");
    }
    if (upload.getOneTimePreKeysCount() > limits.maxOneTimeKeysPerUpload()
        || upload.getOneTimeKyberPreKeysCount() > limits.maxOneTimeKeysPerUpload()) {
      throw new ApiException(
          Status.TOO_LARGE,
          "at most " + limits.maxOneTimeKeysPerUpload() + " one-time pre-keys of each kind per upload");
    }
    PreKeys.Key signed = upload.hasSignedPreKey() ? ec(signed(upload.getSignedPreKey(), identity)) : null;
    PreKeys.Key lastResort =
        upload.hasKyberLastResort() ? kyber(signed(upload.getKyberLastResort(), identity)) : null;
    List<PreKeys.Key> oneTime = new ArrayList<>();
    Set<Integer> ids = new HashSet<>();
    for (PreKey key : upload.getOneTimePreKeysList()) {
      if (!ids.add(key.getId())) {
        throw new ApiException(Status.BAD_REQUEST, "pre-key id " + key.getId() + " appears twice");
      }
      oneTime.add(ec(new PreKeys.Key(key.getId(), key.getPublicKey().toByteArray(), null)));
    }
    List<PreKeys.Key> oneTimeKyber = new ArrayList<>();
    ids.clear();
    for (SignedPreKey key : upload.getOneTimeKyberPreKeysList()) {
      if (!ids.add(key.getId())) {
        throw new ApiException(Status.BAD_REQUEST, "Kyber pre-key id " + key.getId() + " appears twice");
      }
      oneTimeKyber.add(kyber(signed(key, identity)));
    }
    return new PreKeys.Upload(signed, lastResort, oneTime, oneTimeKyber);
  }

  private static PreKeys.Key signed(SignedPreKey key, IdentityKey identity) throws ApiException {
    byte[] publicKey = key.getPublicKey().toByteArray();
    byte[] signature = key.getSignature().toByteArray();
    if (!identity.getPublicKey().verifySignature(publicKey, signature)) {
      throw new ApiException(
          Status.BAD_SIGNATURE, "pre-key " + key.getId() + " is not signed by this device's identity key");
    }
    return new PreKeys.Key(key.getId(), publicKey, signature);
  }

  private static PreKeys.Key ec(PreKeys.Key key) throws ApiException {
    try {
      new ECPublicKey(key.publicKey());
      return key;
    } catch (InvalidKeyException | RuntimeException e) {
      throw new ApiException(Status.BAD_REQUEST, "pre-key " + key.id() + " is not a valid EC public key");
    }
  }

  private static PreKeys.Key kyber(PreKeys.Key key) throws ApiException {
    try {
      new KEMPublicKey(key.publicKey());
      return key;
    } catch (InvalidKeyException | RuntimeException e) {
      throw new ApiException(
          Status.BAD_REQUEST, "Kyber pre-key " + key.id() + " is not a valid Kyber public key");
    }
  }

  public static IdentityKey identityKey(byte[] bytes) throws ApiException {
    try {
      return new IdentityKey(bytes);
    } catch (InvalidKeyException | RuntimeException e) {
      throw new ApiException(Status.BAD_REQUEST, "not a valid identity key");
    }
  }
}
