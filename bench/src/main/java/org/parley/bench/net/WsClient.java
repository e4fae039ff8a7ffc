package org.parley.bench.net;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.parley.protocol.wire.Push;

/**
 * The bench's own lean WebSocket client: one shared event loop group for thousands of device
 * connections, each a few Netty handlers, so the load generator costs the machine as little as it
 * can (the JDK client costs a few threads' worth of state per socket).
 *
 * <p>Connections can be spread over several loopback source addresses (127.0.0.1, 127.0.0.2, ...):
 * each source address has its own ~28,000 ephemeral ports.
 */
public final class WsClient implements AutoCloseable {
  private static final int MAX_FRAME = 16 * 1024 * 1024;

  private final EventLoopGroup group;
  private final Class<? extends Channel> channelType;
  private final List<URI> servers;
  private final List<String> sourceAddresses;
  private final AtomicInteger nextSource = new AtomicInteger();
  private final AtomicInteger nextServer = new AtomicInteger();

  /**
   * @param server ws://HOST:PORT
   * @param threads event loop threads (0: Netty's default, twice the cores)
   * @param sourceAddresses local addresses to bind, used round robin; empty: let the kernel choose
   */
  public WsClient(URI server, int threads, List<String> sourceAddresses) {
    this(List.of(server), threads, sourceAddresses);
  }

  /** @param servers the nodes of a cluster: connections go to them in turn, spreading devices over all */
  public WsClient(List<URI> servers, int threads, List<String> sourceAddresses) {
    boolean epoll = Epoll.isAvailable();
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    this.group = new MultiThreadIoEventLoopGroup(threads, io);
    this.channelType = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
    this.servers = List.copyOf(servers);
    this.sourceAddresses = List.copyOf(sourceAddresses);
  }

  public URI server() {
    return servers.getFirst();
  }

  /** Every node connections go to (one unless clustered). */
  public List<URI> servers() {
    return servers;
  }

  /** The local addresses connections are spread over (empty: the kernel chooses). */
  public List<String> sourceAddresses() {
    return sourceAddresses;
  }

  /**
   * Opens a WebSocket to {@code path} (with an HTTP Basic authorization, or anonymous when null);
   * completes once the upgrade is done. Pushes reach {@code pushes} on the connection's event loop.
   */
  public CompletableFuture<WsConnection> connect(String path, String authorization, Consumer<Push> pushes) {
    URI uri = servers.get(Math.floorMod(nextServer.getAndIncrement(), servers.size())).resolve(path);
    DefaultHttpHeaders headers = new DefaultHttpHeaders();
    if (authorization != null) {
      headers.set(HttpHeaderNames.AUTHORIZATION, authorization);
    }
    WebSocketClientProtocolConfig config =
        WebSocketClientProtocolConfig.newBuilder()
            .webSocketUri(uri)
            .customHeaders(headers)
            .maxFramePayloadLength(MAX_FRAME)
            .handshakeTimeoutMillis(60_000)
            .dropPongFrames(true)
            .build();
    WsConnection connection = new WsConnection(pushes);
    Bootstrap bootstrap =
        new Bootstrap()
            .group(group)
            .channel(channelType)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000)
            .handler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel channel) {
                    channel
                        .pipeline()
                        .addLast(new HttpClientCodec())
                        .addLast(new HttpObjectAggregator(64 * 1024))
                        .addLast(new WebSocketClientProtocolHandler(config))
                        .addLast(connection.handler());
                  }
                });
    InetSocketAddress remote = new InetSocketAddress(uri.getHost(), uri.getPort());
    ChannelFuture connecting =
        sourceAddresses.isEmpty()
            ? bootstrap.connect(remote)
            : bootstrap.connect(remote, new InetSocketAddress(nextSourceAddress(), 0));
    connecting.addListener(
        f -> {
          if (!f.isSuccess()) {
            connection.failOpen(f.cause());
          }
        });
    return connection.opened();
  }

  private String nextSourceAddress() {
    return sourceAddresses.get(Math.floorMod(nextSource.getAndIncrement(), sourceAddresses.size()));
  }

  /** 127.0.0.1 … 127.0.0.n: every loopback address is local on Linux without configuration. */
  public static List<String> loopbackSources(int count) {
    if (count <= 1) {
      return List.of();
    }
    return java.util.stream.IntStream.rangeClosed(1, count).mapToObj(i -> "127.0.0." + i).toList();
  }

  @Override
  public void close() {
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
