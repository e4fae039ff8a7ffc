package org.parley.server.messages;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.parley.protocol.wire.CiphertextType;
import org.parley.protocol.wire.Envelope;

class EnvelopeEncoderTest {
  @Test
  void encodesExactlyWhatTheBuilderEncodes() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    for (int round = 0; round < 200; round++) {
      String account = java.util.UUID.randomUUID().toString();
      String phone = "+1555" + random.nextInt(1_000_000);
      int sourceDevice = random.nextInt(3) == 0 ? 0 : random.nextInt(1, 300);
      long clientTs = random.nextInt(3) == 0 ? 0 : random.nextLong(1, Long.MAX_VALUE);
      long serverTs = random.nextLong(1, Long.MAX_VALUE);
      EnvelopeEncoder encoder = new EnvelopeEncoder(account, phone, sourceDevice, clientTs, serverTs);
      for (int copy = 0; copy < 3; copy++) {
        byte[] guid = new byte[16];
        random.nextBytes(guid);
        int device = random.nextInt(4) == 0 ? 0 : random.nextInt(1, 1 << 20);
        int type = random.nextInt(5) == 0 ? 77 : random.nextInt(CiphertextType.values().length - 1);
        byte[] content = new byte[random.nextInt(4) == 0 ? 0 : random.nextInt(1, 70_000)];
        random.nextBytes(content);

        Envelope expected =
            Envelope.newBuilder()
                .setGuid(ByteString.copyFrom(guid))
                .setSourceAccount(account)
                .setSourcePhone(phone)
                .setSourceDevice(sourceDevice)
                .setDestinationDevice(device)
                .setTypeValue(type)
                .setClientTimestamp(clientTs)
                .setServerTimestamp(serverTs)
                .setContent(ByteString.copyFrom(content))
                .build();
        assertThat(encoder.encode(guid, device, type, ByteString.copyFrom(content)))
            .isEqualTo(expected.toByteArray());
      }
    }
  }
}
