package org.parley.protocol;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import org.parley.protocol.wire.ProvisionEnvelope;
import org.parley.protocol.wire.ProvisionMessage;
import org.signal.libsignal.protocol.InvalidKeyException;
import org.signal.libsignal.protocol.ecc.ECKeyPair;
import org.signal.libsignal.protocol.ecc.ECPublicKey;
import org.signal.libsignal.protocol.kdf.HKDF;

/**
 * Encrypts the provisioning message to the ephemeral X25519 key in a companion's QR code (DESIGN.md
 * §4): X25519 agreement and HKDF from libsignal, AES-256-GCM from the JDK. The server relaying it
 * sees only ciphertext.
 */
public final class ProvisioningCipher {
  private static final byte[] INFO = "parley-provisioning-v1".getBytes(StandardCharsets.US_ASCII);

  private ProvisioningCipher() {}

  public static ProvisionEnvelope encrypt(ECPublicKey companionEphemeral, ProvisionMessage message) {
    ECKeyPair ephemeral = ECKeyPair.generate();
    byte[] shared = ephemeral.getPrivateKey().calculateAgreement(companionEphemeral);
    byte[] ephemeralPublic = ephemeral.getPublicKey().serialize();
    byte[] aad = DeviceListSignatures.concat(INFO, ephemeralPublic, companionEphemeral.serialize());
    byte[] sealed = AesGcm.seal(key(shared), aad, message.toByteArray());
    return ProvisionEnvelope.newBuilder()
        .setEphemeralPublicKey(ByteString.copyFrom(ephemeralPublic))
        .setCiphertext(ByteString.copyFrom(sealed))
        .build();
  }

  public static ProvisionMessage decrypt(ECKeyPair companionEphemeral, ProvisionEnvelope envelope)
      throws ProvisioningException {
    try {
      ECPublicKey sender = new ECPublicKey(envelope.getEphemeralPublicKey().toByteArray());
      byte[] shared = companionEphemeral.getPrivateKey().calculateAgreement(sender);
      byte[] aad =
          DeviceListSignatures.concat(
              INFO, sender.serialize(), companionEphemeral.getPublicKey().serialize());
      byte[] plain = AesGcm.open(key(shared), aad, envelope.getCiphertext().toByteArray());
      return ProvisionMessage.parseFrom(plain);
    } catch (InvalidKeyException | GeneralSecurityException | InvalidProtocolBufferException e) {
      throw new ProvisioningException("provisioning message cannot be decrypted: " + e.getMessage());
    }
  }

  private static byte[] key(byte[] shared) {
    return HKDF.deriveSecrets(shared, INFO, AesGcm.KEY_BYTES);
  }

  public static final class ProvisioningException extends Exception {
    public ProvisioningException(String message) {
      super(message);
    }
  }
}
