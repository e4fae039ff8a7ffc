package org.parley.bench.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.parley.protocol.wire.CiphertextType;
import org.parley.protocol.wire.Envelope;
import org.parley.protocol.wire.Frame;
import org.parley.protocol.wire.PreKeysLow;
import org.parley.protocol.wire.Push;
import org.parley.protocol.wire.QueueEmpty;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.Sent;
import org.parley.protocol.wire.Status;

/**
 * The lean driver's scanner against frames protobuf-java writes, as the server does: fails if a
 * field it looks for by number moves in wire.proto.
 */
class ServerFramesTest {
  private final List<String> seen = new ArrayList<>();
  private final ServerFrames.Sink sink =
      new ServerFrames.Sink() {
        @Override
        public void envelope(ByteBuf buffer, int guidAt, int guidLength, int contentAt, int contentLength) {
          seen.add("envelope " + ByteBufUtil.hexDump(buffer, guidAt, guidLength) + " " + ByteBufUtil.hexDump(buffer, contentAt, contentLength));
        }

        @Override
        public void response(long id, int status, long envelopes) {
          seen.add("response " + id + " " + status + " " + envelopes);
        }

        @Override
        public void queueEmpty() {
          seen.add("queue empty");
        }

        @Override
        public void otherPush(int field) {
          seen.add("push " + field);
        }
      };

  @Test
  void findsTheGuidAndContentOfAnEnvelopeAmongEveryOtherField() {
    Envelope envelope =
        Envelope.newBuilder()
            .setGuid(ByteString.fromHex("00112233445566778899aabbccddeeff"))
            .setSourceAccount("0f6f5c2e-1111-2222-3333-444455556666")
            .setSourcePhone("+15550001234")
            .setSourceDevice(2)
            .setDestinationDevice(1)
            .setType(CiphertextType.WHISPER)
            .setClientTimestamp(1_764_000_000_000L)
            .setServerTimestamp(1_764_000_000_123L)
            .setContent(ByteString.fromHex("cafebabe0102"))
            .setGroupId("g")
            .build();

    scan(Frame.newBuilder().setPush(Push.newBuilder().setEnvelope(envelope)).build());

    assertThat(seen).containsExactly("envelope 00112233445566778899aabbccddeeff cafebabe0102");
  }

  @Test
  void readsAnAnswersIdStatusAndEnvelopeCount() {
    scan(Frame.newBuilder().setResponse(Response.newBuilder().setId(300).setSent(Sent.newBuilder().setServerTimestamp(9).setEnvelopes(3))).build());
    scan(Frame.newBuilder().setResponse(Response.newBuilder().setId(302).setStatus(Status.RATE_LIMITED).setMessage("slow down").setRetryAfterMs(1000)).build());

    assertThat(seen).containsExactly("response 300 0 3", "response 302 " + Status.RATE_LIMITED_VALUE + " 0");
  }

  @Test
  void tellsQueueEmptyFromPushesItHasNoUseFor() {
    scan(Frame.newBuilder().setPush(Push.newBuilder().setQueueEmpty(QueueEmpty.getDefaultInstance())).build());
    scan(Frame.newBuilder().setPush(Push.newBuilder().setPreKeysLow(PreKeysLow.newBuilder().setPreKeys(3))).build());

    assertThat(seen).containsExactly("queue empty", "push 3");
  }

  @Test
  void scansOnlyItsOwnRangeOfTheBuffer() {
    byte[] frame = Frame.newBuilder().setResponse(Response.newBuilder().setId(8)).build().toByteArray();
    ByteBuf buffer = Unpooled.buffer().writeBytes(new byte[] {(byte) 0xFF, 1, 2}).writeBytes(frame).writeBytes(new byte[] {(byte) 0x80});

    new ServerFrames().scan(buffer, 3, 3 + frame.length, sink);

    assertThat(seen).containsExactly("response 8 0 0");
  }

  @Test
  void refusesAFrameWhoseLengthsRunPastItsEnd() {
    byte[] frame = Frame.newBuilder().setPush(Push.newBuilder().setEnvelope(
        Envelope.newBuilder().setGuid(ByteString.copyFrom(new byte[16])).setContent(ByteString.copyFrom(new byte[40])))).build().toByteArray();

    for (int cut = 1; cut < frame.length; cut++) {
      ByteBuf truncated = Unpooled.wrappedBuffer(frame, 0, cut);
      assertThatThrownBy(() -> new ServerFrames().scan(truncated, 0, truncated.writerIndex(), sink))
          .as("cut at %d of %d", cut, frame.length)
          .isInstanceOf(ServerFrames.MalformedFrameException.class);
    }
    assertThat(seen).isEmpty();
  }

  private void scan(Frame frame) {
    ByteBuf buffer = Unpooled.wrappedBuffer(frame.toByteArray());
    new ServerFrames().scan(buffer, 0, buffer.writerIndex(), sink);
  }
}
