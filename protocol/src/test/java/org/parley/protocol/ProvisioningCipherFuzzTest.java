package org.parley.protocol;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.parley.protocol.wire.ProvisionEnvelope;
import org.signal.libsignal.protocol.ecc.ECKeyPair;

/**
 * What a waiting companion decodes from its provisioning socket: anything anyone who saw the QR
 * code (or the server) sends. It decrypts or is refused with a ProvisioningException.
 */
class ProvisioningCipherFuzzTest {
  private static final ECKeyPair EPHEMERAL = ECKeyPair.generate();

  @FuzzTest(maxDuration = "30s")
  void anyProvisioningMessageDecryptsOrIsRefused(byte[] body) {
    if (body == null) {
      return; // the mutator's null; nothing on the wire or in a file is null
    }
    ProvisionEnvelope envelope;
    try {
      envelope = ProvisionEnvelope.parseFrom(body);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      return;
    }
    try {
      ProvisioningCipher.decrypt(EPHEMERAL, envelope);
    } catch (ProvisioningCipher.ProvisioningException e) {
      // refused
    }
  }
}
