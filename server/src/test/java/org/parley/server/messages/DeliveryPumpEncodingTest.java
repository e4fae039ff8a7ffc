package org.parley.server.messages;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.parley.protocol.wire.CiphertextType;
import org.parley.protocol.wire.Envelope;
import org.parley.protocol.wire.Frame;
import org.parley.protocol.wire.Push;

class DeliveryPumpEncodingTest {
  @Test
  void aPushIsEncodedExactlyAsProtobufWouldEncodeIt() throws Exception {
    Envelope envelope =
        Envelope.newBuilder()
            .setGuid(ByteString.copyFrom(bytes(16)))
            .setSourceAccount("7f1c2b9e-1111-4222-8333-944455556666")
            .setSourcePhone("+15550100123")
            .setSourceDevice(2)
            .setDestinationDevice(3)
            .setType(CiphertextType.WHISPER)
            .setClientTimestamp(1_700_000_000_000L)
            .setServerTimestamp(1_700_000_000_123L)
            .setContent(ByteString.copyFrom(bytes(200)))
            .build();

    byte[] encoded = DeliveryPump.encodePush(envelope.toByteArray());

    assertThat(Frame.parseFrom(encoded).getPush().getEnvelope()).isEqualTo(envelope);
    assertThat(encoded).isEqualTo(frameOf(envelope));
  }

  /** Length prefixes change width at 128 and 16384 bytes, in the envelope and in the push around it. */
  @Test
  void lengthsAcrossEveryVarintWidthAreEncodedRight() {
    IntStream sizes =
        IntStream.concat(
            IntStream.concat(IntStream.rangeClosed(0, 300), IntStream.rangeClosed(16_360, 16_400)),
            IntStream.of(2_097_140, 2_097_152));
    sizes.forEach(size -> {
      Envelope envelope = Envelope.newBuilder().setContent(ByteString.copyFrom(bytes(size))).build();
      assertThat(DeliveryPump.encodePush(envelope.toByteArray()))
          .as("content of %d bytes", size)
          .isEqualTo(frameOf(envelope));
    });
  }

  @Test
  void anEmptyEnvelopeStillMakesAPushWithAnEnvelope() throws Exception {
    Frame frame = Frame.parseFrom(DeliveryPump.encodePush(new byte[0]));

    assertThat(frame.getKindCase()).isEqualTo(Frame.KindCase.PUSH);
    assertThat(frame.getPush().getBodyCase()).isEqualTo(Push.BodyCase.ENVELOPE);
  }

  private static byte[] frameOf(Envelope envelope) {
    return Frame.newBuilder().setPush(Push.newBuilder().setEnvelope(envelope)).build().toByteArray();
  }

  private static byte[] bytes(int length) {
    byte[] bytes = new byte[length];
    ThreadLocalRandom.current().nextBytes(bytes);
    return bytes;
  }
}
