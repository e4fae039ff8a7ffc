package org.parley.bench.net;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.parley.protocol.wire.Envelope;
import org.parley.protocol.wire.Frame;
import org.parley.protocol.wire.Push;
import org.parley.protocol.wire.Request;

/**
 * One lean link against a server side made of Netty's own WebSocket codec (the server's): the
 * upgrade, the hello, and acks as the full client sends them (every guid of a read burst in one Ack).
 */
class LeanWsLinkTest {
  private final List<String> heard = new ArrayList<>();
  private final LeanWsLink.Listener listener =
      new LeanWsLink.Listener() {
        @Override
        public void envelope(LeanWsLink link, ByteBuf buffer, int contentAt, int contentLength) {
          heard.add("envelope " + ByteBufUtil.hexDump(buffer, contentAt, contentLength));
        }

        @Override
        public void response(LeanWsLink link, long id, int status, long envelopes) {
          heard.add("response " + id);
        }

        @Override
        public void queueEmpty(LeanWsLink link) {
          heard.add("queue empty");
        }

        @Override
        public void closed(LeanWsLink link, Throwable cause) {
          heard.add("closed");
        }
      };

  private final LeanWsLink link =
      new LeanWsLink(0, URI.create("ws://127.0.0.1:8080/v1/websocket"), "Basic abc", new ClientFrames(new SplittableRandom(1)),
          new ServerFrames(), listener);
  private final EmbeddedChannel channel = new EmbeddedChannel(link);
  /** The server's side of the WebSocket: unmasks what the link writes. */
  private final EmbeddedChannel server = new EmbeddedChannel(new WebSocket08FrameDecoder(true, false, 1 << 20));
  /** Writes server frames as the relay does (unmasked). */
  private final EmbeddedChannel serverOut = new EmbeddedChannel(new WebSocket08FrameEncoder(false));

  @Test
  void upgradesSaysHelloAndAcksEveryGuidOfAReadBurstInOneAck() throws Exception {
    String upgrade = text(channel.readOutbound());
    assertThat(upgrade).startsWith("GET /v1/websocket HTTP/1.1\r\n").contains("Authorization: Basic abc\r\n", "Upgrade: websocket");
    accept(upgrade);
    assertThat(link.opened()).isCompleted();
    assertThat(clientFrame().getRequest().hasAck()).as("the hello: an empty ack").isTrue();

    // Two envelopes and the queue-empty signal in one read, the second frame split over two reads.
    ByteBuf burst = Unpooled.buffer()
        .writeBytes(serverFrame(push(envelope("aa01", "0102"))))
        .writeBytes(serverFrame(push(envelope("aa02", "0304"))));
    ByteBuf last = serverFrame(Frame.newBuilder().setPush(Push.newBuilder().setQueueEmpty(org.parley.protocol.wire.QueueEmpty.getDefaultInstance())).build());
    channel.writeInbound(burst, last.readRetainedSlice(3));
    assertThat(heard).containsExactly("envelope 0102", "envelope 0304");
    Request ack = clientFrame().getRequest();
    assertThat(ack.getAck().getGuidsList()).containsExactly(ByteString.fromHex("aa01"), ByteString.fromHex("aa02"));
    assertThat(ack.getId() % 2).as("ack ids are odd; the driver's sends have the even ones").isEqualTo(1);

    channel.writeInbound(last);
    assertThat(heard).endsWith("queue empty");
    assertThat((Object) channel.readOutbound()).as("nothing to ack: no ack").isNull();
  }

  @Test
  void withAnAckDelayTheAckComesThatLongAfterTheReadAndTakesWhatWasReadMeanwhile() throws Exception {
    LeanWsLink delayed =
        new LeanWsLink(1, URI.create("ws://127.0.0.1:8080/v1/websocket"), "Basic abc", new ClientFrames(new SplittableRandom(1)),
            new ServerFrames(), listener).ackDelay(java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(1));
    EmbeddedChannel slow = new EmbeddedChannel(delayed);
    slow.freezeTime(); // the channel's clock moves only when the test says
    String upgrade = text(slow.readOutbound());
    Matcher key = Pattern.compile("Sec-WebSocket-Key: (\\S+)\r\n").matcher(upgrade);
    assertThat(key.find()).isTrue();
    slow.writeInbound(Unpooled.copiedBuffer("HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n"
        + "sec-websocket-accept: " + LeanWsLink.accept(key.group(1)) + "\r\n\r\n", StandardCharsets.US_ASCII));
    assertThat(clientFrame(slow).getRequest().hasAck()).as("the hello is not delayed").isTrue();

    slow.writeInbound(serverFrame(push(envelope("aa01", "0102"))));
    slow.writeInbound(serverFrame(push(envelope("aa02", "0304"))));
    assertThat((Object) slow.readOutbound()).as("no ack before the device's commit").isNull();

    slow.advanceTimeBy(1, java.util.concurrent.TimeUnit.MILLISECONDS);
    slow.runScheduledPendingTasks();
    assertThat(clientFrame(slow).getRequest().getAck().getGuidsList())
        .as("one ack for both reads")
        .containsExactly(ByteString.fromHex("aa01"), ByteString.fromHex("aa02"));
    assertThat((Object) slow.readOutbound()).isNull();
  }

  @Test
  void answersAPingWithItsPayload() throws Exception {
    accept(text(channel.readOutbound()));
    clientFrame();
    serverOut.writeOutbound(new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {5, 6})));
    channel.writeInbound((ByteBuf) serverOut.readOutbound());

    server.writeInbound((ByteBuf) channel.readOutbound());
    WebSocketFrame pong = server.readInbound();
    assertThat(pong).isInstanceOf(PongWebSocketFrame.class);
    assertThat(ByteBufUtil.getBytes(pong.content())).containsExactly(5, 6);
  }

  @Test
  void aWrongAcceptKeyFailsTheLink() {
    channel.readOutbound();
    channel.writeInbound(Unpooled.copiedBuffer(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: bm90IGl0\r\n\r\n",
        StandardCharsets.US_ASCII));

    assertThat(link.opened()).isCompletedExceptionally();
    assertThat(channel.isOpen()).isFalse();
  }

  @Test
  void aRefusedUpgradeFailsTheLinkWithTheServersStatus() {
    channel.readOutbound();
    channel.writeInbound(Unpooled.copiedBuffer("HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n", StandardCharsets.US_ASCII));

    assertThat(link.opened()).failsWithin(java.time.Duration.ZERO).withThrowableThat().withMessageContaining("401");
  }

  private void accept(String upgrade) {
    Matcher key = Pattern.compile("Sec-WebSocket-Key: (\\S+)\r\n").matcher(upgrade);
    assertThat(key.find()).isTrue();
    channel.writeInbound(Unpooled.copiedBuffer("HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n"
        + "sec-websocket-accept: " + LeanWsLink.accept(key.group(1)) + "\r\n\r\n", StandardCharsets.US_ASCII));
  }

  private Frame clientFrame() throws Exception {
    return clientFrame(channel);
  }

  private Frame clientFrame(EmbeddedChannel from) throws Exception {
    server.writeInbound((ByteBuf) from.readOutbound());
    BinaryWebSocketFrame frame = server.readInbound();
    try {
      return Frame.parseFrom(ByteBufUtil.getBytes(frame.content()));
    } finally {
      frame.release();
    }
  }

  private ByteBuf serverFrame(Frame frame) {
    serverOut.writeOutbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(frame.toByteArray())));
    ByteBuf all = Unpooled.buffer();
    for (Object part; (part = serverOut.readOutbound()) != null; ) {
      all.writeBytes((ByteBuf) part);
      ((ByteBuf) part).release();
    }
    return all;
  }

  private static Frame push(Envelope envelope) {
    return Frame.newBuilder().setPush(Push.newBuilder().setEnvelope(envelope)).build();
  }

  private static Envelope envelope(String guid, String content) {
    return Envelope.newBuilder().setGuid(ByteString.fromHex(guid)).setSourceDevice(1).setContent(ByteString.fromHex(content)).build();
  }

  private static String text(Object written) {
    ByteBuf buffer = (ByteBuf) written;
    return buffer.toString(StandardCharsets.US_ASCII);
  }
}
