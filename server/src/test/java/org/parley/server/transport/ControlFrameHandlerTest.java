package org.parley.server.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.timeout.IdleStateEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ControlFrameHandlerTest {
  private final EmbeddedChannel channel = new EmbeddedChannel(new ControlFrameHandler());

  @AfterEach
  void releaseLeftovers() {
    channel.finishAndReleaseAll();
  }

  @Test
  void aPingIsAnsweredWithAPongCarryingTheSameData() {
    channel.writeInbound(new PingWebSocketFrame(Unpooled.copiedBuffer("are you there", StandardCharsets.UTF_8)));

    PongWebSocketFrame pong = channel.readOutbound();
    try {
      assertThat(pong.content().toString(StandardCharsets.UTF_8)).isEqualTo("are you there");
    } finally {
      pong.release();
    }
    assertThat((Object) channel.readInbound()).as("control frames stop here").isNull();
    assertThat(channel.isOpen()).isTrue();
  }

  @Test
  void aPongIsConsumed() {
    PongWebSocketFrame pong = new PongWebSocketFrame(Unpooled.copiedBuffer(new byte[] {1, 2}));

    channel.writeInbound(pong);

    assertThat((Object) channel.readInbound()).isNull();
    assertThat((Object) channel.readOutbound()).isNull();
    assertThat(pong.refCnt()).isZero();
  }

  @Test
  void aCloseIsEchoedAndThenTheConnectionCloses() {
    channel.writeInbound(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE, "bye"));

    assertClosedWith(WebSocketCloseStatus.NORMAL_CLOSURE);
  }

  @Test
  void dataFramesPassOnUntouched() {
    BinaryWebSocketFrame data = new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {8, 1}));

    channel.writeInbound(data);

    BinaryWebSocketFrame passed = channel.readInbound();
    assertThat(passed).isSameAs(data);
    assertThat(ByteBufUtil.getBytes(passed.content())).containsExactly(8, 1);
    passed.release();
  }

  @Test
  void anOversizeMessageClosesWithMessageTooBig() {
    channel.pipeline().fireExceptionCaught(new TooLongFrameException("WebSocketFrameAggregator: 3 MiB"));

    assertClosedWith(WebSocketCloseStatus.MESSAGE_TOO_BIG);
  }

  @Test
  void anOversizeMessageReportedByADecoderClosesWithMessageTooBig() {
    channel.pipeline().fireExceptionCaught(new DecoderException(new TooLongFrameException("too long")));

    assertClosedWith(WebSocketCloseStatus.MESSAGE_TOO_BIG);
  }

  @Test
  void aCorruptFrameClosesWithProtocolError() {
    channel.pipeline().fireExceptionCaught(new CorruptedFrameException("unmasked client frame"));

    assertClosedWith(WebSocketCloseStatus.PROTOCOL_ERROR);
  }

  @Test
  void anyOtherFailureClosesTheSocketWithoutAWord() {
    channel.pipeline().fireExceptionCaught(new IOException("connection reset by peer"));

    assertThat((Object) channel.readOutbound()).isNull();
    assertThat(channel.isOpen()).isFalse();
  }

  @Test
  void aQuietClientIsPingedAndASilentOneClosed() {
    channel.pipeline().fireUserEventTriggered(IdleStateEvent.WRITER_IDLE_STATE_EVENT);

    PingWebSocketFrame ping = channel.readOutbound();
    ping.release();
    assertThat(channel.isOpen()).isTrue();

    channel.pipeline().fireUserEventTriggered(IdleStateEvent.READER_IDLE_STATE_EVENT);

    assertClosedWith(WebSocketCloseStatus.NORMAL_CLOSURE);
  }

  private void assertClosedWith(WebSocketCloseStatus status) {
    CloseWebSocketFrame close = channel.readOutbound();
    assertThat(close).as("a close frame is sent").isNotNull();
    try {
      assertThat(close.statusCode()).isEqualTo(status.code());
    } finally {
      close.release();
    }
    assertThat(channel.isOpen()).isFalse();
  }
}
