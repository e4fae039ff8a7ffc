package org.parley.server.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.parley.protocol.wire.Frame;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.RequestCode;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.Status;

class FrameCodecTest {
  private final EmbeddedChannel channel = new EmbeddedChannel(new FrameCodec());

  @AfterEach
  void releaseLeftovers() {
    channel.finishAndReleaseAll();
  }

  @Test
  void aBinaryMessageHoldingAFrameBecomesThatFrame() {
    Frame frame =
        Frame.newBuilder()
            .setRequest(Request.newBuilder().setId(7).setRequestCode(RequestCode.newBuilder().setPhone("+15550100123")))
            .build();
    BinaryWebSocketFrame message = new BinaryWebSocketFrame(Unpooled.wrappedBuffer(frame.toByteArray()));

    channel.writeInbound(message);

    assertThat((Object) channel.readInbound()).isEqualTo(frame);
    assertThat(message.refCnt()).as("the message buffer is released").isZero();
  }

  @Test
  void aMessageReassembledFromFragmentsInSeveralBuffersIsDecodedToo() {
    Frame frame =
        Frame.newBuilder()
            .setRequest(Request.newBuilder().setId(8).setRequestCode(RequestCode.newBuilder().setPhone("+15550100124")))
            .build();
    byte[] bytes = frame.toByteArray();
    int half = bytes.length / 2;
    BinaryWebSocketFrame message =
        new BinaryWebSocketFrame(
            Unpooled.wrappedBuffer(
                Unpooled.copiedBuffer(bytes, 0, half), Unpooled.directBuffer().writeBytes(bytes, half, bytes.length - half)));

    channel.writeInbound(message);

    assertThat((Object) channel.readInbound()).isEqualTo(frame);
    assertThat(message.refCnt()).isZero();
  }

  @Test
  void garbageBytesBecomeAMalformedFrame() {
    // Field 1 announces 127 bytes of request and then the message ends.
    BinaryWebSocketFrame garbage = new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {0x0a, 0x7f, 0x01}));

    channel.writeInbound(garbage);

    Object decoded = channel.readInbound();
    assertThat(decoded).isInstanceOfSatisfying(
        FrameCodec.MalformedFrame.class, bad -> assertThat(bad.reason()).startsWith("not a valid frame"));
    assertThat(garbage.refCnt()).isZero();
  }

  @Test
  void aTextMessageBecomesAMalformedFrame() {
    channel.writeInbound(new TextWebSocketFrame("{\"request\": 1}"));

    Object decoded = channel.readInbound();
    assertThat(decoded).isInstanceOfSatisfying(
        FrameCodec.MalformedFrame.class, bad -> assertThat(bad.reason()).contains("binary"));
  }

  @Test
  void anOutgoingFrameLeavesAsOneBinaryMessage() throws Exception {
    Frame frame =
        Frame.newBuilder()
            .setResponse(Response.newBuilder().setId(9).setStatus(Status.NOT_FOUND).setMessage("no such account"))
            .build();

    channel.writeOutbound(frame);

    BinaryWebSocketFrame message = channel.readOutbound();
    try {
      assertThat(message.isFinalFragment()).isTrue();
      assertThat(Frame.parseFrom(ByteBufUtil.getBytes(message.content()))).isEqualTo(frame);
    } finally {
      message.release();
    }
  }

  @Test
  void anOutgoingFrameIsWrittenWholeIntoHeapAndDirectBuffersAndNothingBesideIt() throws Exception {
    for (String text : List.of("no such account", "x".repeat(100_000))) {
      Frame frame =
          Frame.newBuilder().setResponse(Response.newBuilder().setId(10).setStatus(Status.OK).setMessage(text)).build();
      int size = frame.getSerializedSize();
      // The server's buffers are windows into shared chunks: a write at the wrong offset would land
      // in the bytes of buffers taken from the same chunk before it.
      for (io.netty.buffer.ByteBufAllocator allocator :
          List.of(
              new io.netty.buffer.UnpooledByteBufAllocator(false),
              new io.netty.buffer.UnpooledByteBufAllocator(true),
              new io.netty.buffer.PooledByteBufAllocator(false),
              new io.netty.buffer.PooledByteBufAllocator(true),
              new io.netty.buffer.AdaptiveByteBufAllocator())) {
        EmbeddedChannel out = new EmbeddedChannel(new FrameCodec());
        out.config().setAllocator(allocator);
        List<io.netty.buffer.ByteBuf> neighbours = new java.util.ArrayList<>();
        for (int i = 0; i < 8; i++) {
          neighbours.add(allocator.buffer(size, size).writeZero(size));
        }

        out.writeOutbound(frame);

        BinaryWebSocketFrame message = out.readOutbound();
        try {
          assertThat(message.content().readableBytes()).isEqualTo(size);
          assertThat(Frame.parseFrom(ByteBufUtil.getBytes(message.content()))).isEqualTo(frame);
          for (io.netty.buffer.ByteBuf neighbour : neighbours) {
            assertThat(ByteBufUtil.getBytes(neighbour)).as("a neighbour's bytes").containsOnly(0);
          }
        } finally {
          message.release();
          neighbours.forEach(io.netty.buffer.ByteBuf::release);
          out.finishAndReleaseAll();
        }
      }
    }
  }
}
