package org.parley.bench.modes;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameDecoder;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.parley.bench.net.ClientFrames;
import org.parley.bench.population.BenchDevice;
import org.parley.protocol.wire.Frame;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.SendMessage;

/**
 * The lean driver's send frame against what the full client sends for the same message: the
 * server must get the very same bytes (so it does the same work), with the due time and message
 * number patched into every envelope's content. Fails if a field the driver writes by number moves
 * in wire.proto, or if OutgoingMessage.content stops being last.
 */
class LeanSendFrameTest {
  private static final int PAYLOAD = 256;

  @Test
  void aPatchedSendFrameIsByteForByteWhatProtobufWritesAndTheServersDecoderUnmasksIt() {
    SplittableRandom random = new SplittableRandom(7);
    byte[] content = new byte[PAYLOAD];
    random.nextBytes(content);
    List<BenchDevice> devices = List.of(device(1, 11), device(2, 22), device(1, 33));
    byte[][] pieces = devices.stream().map(d -> LeanRelayRun.piece(d, content)).toArray(byte[][]::new);
    long due = 123_456_789_012L;
    long seq = 4242;
    long id = seq << 1;
    long timestamp = 1_764_000_000_000L;

    ClientFrames frames = new ClientFrames(random);
    LeanRelayRun.writeSend(frames, id, timestamp, pieces, new int[] {2, 0, 1}, 3, PAYLOAD, due, seq);
    byte[] unmasked = java.util.Arrays.copyOfRange(frames.array(), frames.payloadStart(), frames.end());
    frames.finish();

    ByteString patched = ByteString.copyFrom(ByteBuffer.allocate(16).putLong(due).putLong(seq).flip())
        .concat(ByteString.copyFrom(content, 16, PAYLOAD - 16));
    SendMessage.Builder send = SendMessage.newBuilder().setTimestamp(timestamp);
    for (int d : new int[] {2, 0, 1}) {
      send.addMessages(RelayRun.envelope(devices.get(d), patched));
    }
    Frame expected = Frame.newBuilder().setRequest(Request.newBuilder().setId(id).setSendMessage(send)).build();
    assertThat(unmasked).isEqualTo(expected.toByteArray());

    // What the server's WebSocket decoder makes of it: masked as a client must, unmasked back to the frame.
    EmbeddedChannel server = new EmbeddedChannel(new WebSocket08FrameDecoder(true, false, 1 << 20));
    server.writeInbound(Unpooled.wrappedBuffer(frames.array(), frames.start(), frames.end() - frames.start()));
    BinaryWebSocketFrame arrived = server.readInbound();
    assertThat(ByteBufUtil.getBytes(arrived.content())).isEqualTo(expected.toByteArray());
    arrived.release();
  }

  @Test
  void framesOfEveryLengthClassSurviveTheServersDecoder() throws Exception {
    ClientFrames frames = new ClientFrames(new SplittableRandom(3));
    EmbeddedChannel server = new EmbeddedChannel(new WebSocket08FrameDecoder(true, false, 1 << 20));
    for (int length : new int[] {0, 1, 7, 125, 126, 4099, 65535, 65536, 70001}) {
      byte[] payload = new byte[length];
      new SplittableRandom(length).nextBytes(payload);
      frames.begin(length).bytes(payload, 0, length).finish();
      server.writeInbound(Unpooled.wrappedBuffer(frames.array(), frames.start(), frames.end() - frames.start()));
      BinaryWebSocketFrame arrived = server.readInbound();
      ByteBuf body = arrived.content();
      assertThat(ByteBufUtil.getBytes(body)).as("payload of %d bytes", length).isEqualTo(payload);
      arrived.release();
    }
  }

  private static BenchDevice device(int deviceId, int registrationId) {
    return new BenchDevice(UUID.nameUUIDFromBytes(new byte[] {(byte) registrationId}), deviceId, registrationId, new byte[32]);
  }
}
