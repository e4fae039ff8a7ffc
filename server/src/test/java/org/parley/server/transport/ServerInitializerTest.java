package org.parley.server.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.parley.server.Limits;

/**
 * After the upgrade only WebSocket frames arrive: the streaming HTTP handlers (health, blobs) would
 * look at and pass on every one of them, for the connection's whole life.
 */
class ServerInitializerTest {
  private final List<Object> seenByStreamingHttp = new ArrayList<>();
  private final EmbeddedChannel channel = new EmbeddedChannel();

  @AfterEach
  void releaseLeftovers() {
    channel.finishAndReleaseAll();
  }

  @Test
  void anUpgradedConnectionNoLongerPassesItsFramesThroughTheStreamingHttpHandlers() {
    httpPipeline();

    channel.writeInbound(Unpooled.copiedBuffer(
        "GET /v1/websocket HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        StandardCharsets.US_ASCII));

    assertThat(outbound()).startsWith("HTTP/1.1 101");
    assertThat(channel.pipeline().names()).noneMatch(name -> name.startsWith("streaming-http-"));
    assertThat(channel.pipeline().get(FrameCodec.class)).as("upgraded").isNotNull();
  }

  @Test
  void plainHttpStillPassesThroughThem() {
    httpPipeline();

    channel.writeInbound(Unpooled.copiedBuffer("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n", StandardCharsets.US_ASCII));

    assertThat(outbound()).startsWith("HTTP/1.1 200");
    assertThat(seenByStreamingHttp).isNotEmpty();
  }

  /** The HTTP part of the server's pipeline (ServerInitializer's, without admission, idling and TLS). */
  private void httpPipeline() {
    Limits limits = Limits.defaults();
    Endpoints endpoints =
        new Endpoints(
            null,
            new RequestRouter(),
            new SessionListener() {
              @Override
              public void opened(Session session) {}

              @Override
              public void closed(Session session) {}
            },
            null,
            new FrameCodec(),
            Runnable::run,
            limits,
            new RequestBounds(limits, 4),
            ConnectionAdmission.of(10, 10, 10),
            new ClientAddresses(List.of()));
    channel.pipeline().addLast(new HttpServerCodec());
    List<Supplier<ChannelHandler>> streaming = List.of(this::streamingHttp, this::streamingHttp);
    ServerInitializer.addStreamingHttp(channel.pipeline(), streaming);
    channel.pipeline().addLast(new HttpObjectAggregator(64 * 1024)).addLast(new HttpHandler(endpoints));
  }

  private String outbound() {
    StringBuilder text = new StringBuilder();
    Object out;
    while ((out = channel.readOutbound()) != null) {
      if (out instanceof io.netty.buffer.ByteBuf bytes) {
        text.append(bytes.toString(StandardCharsets.US_ASCII));
        bytes.release();
      }
    }
    return text.toString();
  }

  private ChannelHandler streamingHttp() {
    return new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        seenByStreamingHttp.add(msg);
        ctx.fireChannelRead(msg);
      }
    };
  }
}
