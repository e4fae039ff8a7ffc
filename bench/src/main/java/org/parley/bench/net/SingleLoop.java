package org.parley.bench.net;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The lean drivers' network side (XMPP and Parley): every connection on one event loop (epoll), so
 * a workload's bookkeeping needs no locks, no write crosses threads (a cross-thread write costs a
 * task and a wake-up), and the generator costs its core as little as it can.
 */
public final class SingleLoop implements AutoCloseable {
  private final EventLoopGroup group;
  private final Class<? extends Channel> channelType;

  public SingleLoop() {
    boolean epoll = Epoll.isAvailable();
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    this.group = new MultiThreadIoEventLoopGroup(1, io);
    this.channelType = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
  }

  /** The one thread every connection and the workload's bookkeeping run on. */
  public EventLoop loop() {
    return group.next();
  }

  /**
   * Opens a TCP connection whose pipeline is just {@code handler}, from {@code source} (a local
   * address, or null to let the kernel choose); {@code failed} hears a connect that did not succeed.
   */
  public void connect(InetSocketAddress remote, String source, ChannelHandler handler, Consumer<Throwable> failed) {
    Bootstrap bootstrap =
        new Bootstrap()
            .group(group)
            .channel(channelType)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000)
            .handler(handler);
    (source == null ? bootstrap.connect(remote) : bootstrap.connect(remote, new InetSocketAddress(source, 0)))
        .addListener(f -> {
          if (!f.isSuccess()) {
            failed.accept(f.cause());
          }
        });
  }

  @Override
  public void close() {
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
