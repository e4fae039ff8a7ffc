package org.parley.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;
import org.parley.protocol.wire.ProvisionEnvelope;
import org.parley.protocol.wire.ProvisionMessage;
import org.signal.libsignal.protocol.ecc.ECKeyPair;

class ProvisioningCipherTest {
  private final ECKeyPair companion = ECKeyPair.generate();
  private final ProvisionMessage message =
      ProvisionMessage.newBuilder().setAccountId("a").setDeviceId(3).setLinkToken("t").build();

  @Test
  void theCompanionOpensWhatThePrimarySealedToItsKey() throws Exception {
    ProvisionEnvelope envelope = ProvisioningCipher.encrypt(companion.getPublicKey(), message);

    assertThat(ProvisioningCipher.decrypt(companion, envelope)).isEqualTo(message);
  }

  @Test
  void anotherKeyOrAFlippedBitCannotOpenIt() {
    ProvisionEnvelope envelope = ProvisioningCipher.encrypt(companion.getPublicKey(), message);
    byte[] bytes = envelope.getCiphertext().toByteArray();
    bytes[20] ^= 1;
    ProvisionEnvelope flipped = envelope.toBuilder().setCiphertext(ByteString.copyFrom(bytes)).build();

    assertThatThrownBy(() -> ProvisioningCipher.decrypt(ECKeyPair.generate(), envelope))
        .isInstanceOf(ProvisioningCipher.ProvisioningException.class);
    assertThatThrownBy(() -> ProvisioningCipher.decrypt(companion, flipped))
        .isInstanceOf(ProvisioningCipher.ProvisioningException.class);
  }
}
