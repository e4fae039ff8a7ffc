package org.parley.server.transport;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The pipeline of a new connection: [PROXY header, from a trusted proxy] → [TLS] → admission under
 * the connection caps → HTTP → streaming HTTP endpoints (blobs) → aggregated HTTP → upgrade. After the upgrade the HTTP parts give way to WebSocket frames (see HttpHandler).
 */
final class ServerInitializer extends ChannelInitializer<SocketChannel> {
  private static final int PING_AFTER_SECONDS = 30;
  private static final int CLOSE_AFTER_SECONDS = 120;
  /** Name prefix of the streaming HTTP handlers, which an upgraded connection drops. */
  private static final String STREAMING_HTTP = "streaming-http-";

  private final SslContext ssl;
  private final Endpoints endpoints;
  private final List<Supplier<ChannelHandler>> streamingHttp;
  private final ChannelGroup open;

  ServerInitializer(
      SslContext ssl, Endpoints endpoints, List<Supplier<ChannelHandler>> streamingHttp, ChannelGroup open) {
    this.ssl = ssl;
    this.endpoints = endpoints;
    this.streamingHttp = streamingHttp;
    this.open = open;
  }

  @Override
  protected void initChannel(SocketChannel channel) {
    open.add(channel);
    ChannelPipeline pipeline = channel.pipeline();
    pipeline.addLast(new FlushConsolidationHandler(256, true));
    java.net.InetAddress peer = ClientAddresses.peer(channel);
    if (peer != null && endpoints.addresses().trusted(peer)) {
      pipeline.addLast(new ProxyProtocol());
    }
    if (ssl != null) {
      pipeline.addLast(ssl.newHandler(channel.alloc()));
    }
    pipeline.addLast(
        new ConnectionGuard(endpoints.admission(), endpoints.addresses(), endpoints.limits().unauthenticatedTimeout()));
    pipeline.addLast(
        new IdleStateHandler(CLOSE_AFTER_SECONDS, PING_AFTER_SECONDS, 0, TimeUnit.SECONDS));
    pipeline.addLast(new HttpServerCodec(4096, 8192, 8192));
    addStreamingHttp(pipeline, streamingHttp);
    pipeline.addLast(new HttpObjectAggregator(64 * 1024));
    pipeline.addLast(new HttpHandler(endpoints));
  }

  static void addStreamingHttp(ChannelPipeline pipeline, List<Supplier<ChannelHandler>> handlers) {
    for (int i = 0; i < handlers.size(); i++) {
      pipeline.addLast(STREAMING_HTTP + i, handlers.get(i).get());
    }
  }

  /**
   * After the upgrade only WebSocket frames arrive, which the streaming HTTP handlers would look at
   * and pass on, each of them, for every frame of the connection's life.
   */
  static void dropStreamingHttp(ChannelPipeline pipeline) {
    for (String name : pipeline.names()) {
      if (name.startsWith(STREAMING_HTTP)) {
        pipeline.remove(name);
      }
    }
  }
}
