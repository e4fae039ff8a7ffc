package org.parley.bench.xmpp;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The lean XMPP load driver's network side: every connection on one event loop (epoll), so the
 * workload's bookkeeping needs no locks and the generator costs its core as little as it can.
 */
final class LeanXmppClient implements AutoCloseable {
  private final EventLoopGroup group;
  private final Class<? extends Channel> channelType;
  private final String host;
  private final int port;
  private final String domain;

  LeanXmppClient(String host, int port, String domain) {
    boolean epoll = Epoll.isAvailable();
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    this.group = new MultiThreadIoEventLoopGroup(1, io);
    this.channelType = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
    this.host = host;
    this.port = port;
    this.domain = domain;
  }

  /** The one thread every connection and the workload's bookkeeping run on. */
  EventLoop loop() {
    return group.next();
  }

  /** Connects and logs in {@code user/resource} (registering it first if asked). */
  CompletableFuture<XmppLink> login(String user, String password, String resource, boolean register,
      XmppLink.Bodies bodies) {
    XmppLink link = new XmppLink(domain, user, password, resource, register, bodies);
    new Bootstrap()
        .group(group)
        .channel(channelType)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel channel) {
            channel.pipeline().addLast(link);
          }
        })
        .connect(host, port)
        .addListener(f -> {
          if (!f.isSuccess()) {
            link.failOpen(f.cause());
          }
        });
    return link.ready();
  }

  @Override
  public void close() {
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
