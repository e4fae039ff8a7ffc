package org.parley.server.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServerInitializerTest {
  private final List<Object> seenByStreamingHttp = new ArrayList<>();

  @Test
  void anUpgradedConnectionDropsTheStreamingHttpHandlersAndKeepsTheRest() {
    EmbeddedChannel channel = new EmbeddedChannel();
    channel.pipeline().addLast("before", new ChannelInboundHandlerAdapter());
    ServerInitializer.addStreamingHttp(channel.pipeline(), List.of(this::streamingHttp, this::streamingHttp));
    channel.pipeline().addLast("after", new ChannelInboundHandlerAdapter());

    channel.writeInbound("http request");
    assertThat(seenByStreamingHttp).containsExactly("http request", "http request");
    assertThat((Object) channel.readInbound()).isEqualTo("http request");

    ServerInitializer.dropStreamingHttp(channel.pipeline());
    channel.writeInbound("websocket frame");

    assertThat(seenByStreamingHttp).as("no longer asked").hasSize(2);
    assertThat((Object) channel.readInbound()).as("still reaches the end").isEqualTo("websocket frame");
    assertThat(channel.pipeline().names()).contains("before", "after");
    channel.finishAndReleaseAll();
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
