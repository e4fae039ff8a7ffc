package org.parley.bench.net;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.parley.server.transport.Transport;

/**
 * The lean drivers' network side (XMPP and Parley): every connection on one event loop, so a
 * workload's bookkeeping needs no locks, no write crosses threads (a cross-thread write costs a task
 * and a wake-up), and the generator costs its core as little as it can. The loop runs on the
 * {@link Transport} asked for (io_uring submits a loop turn's reads and writes in one system call).
 */
public final class SingleLoop implements AutoCloseable {
  private final Transport transport;
  private final EventLoopGroup group;
  private final Class<? extends Channel> channelType;

  /** What a lean driver's {@code --transport} says (a picocli description). */
  public static final String TRANSPORT_HELP =
      "Socket API of the generator's one event loop: auto (io_uring where the kernel allows it, else epoll,"
          + " else nio), io_uring, epoll or nio; the run reports which ran. With its shared buffer ring io_uring cost"
          + " the generator less CPU per message in BENCHMARKS.md (\"Transport: io_uring\"), where side-by-side.sh"
          + " uses it; default ${DEFAULT-VALUE}.";

  /**
   * The transport a driver's {@code --transport NAME} asks for; says on stderr what {@code auto}
   * passed over.
   *
   * @throws IllegalArgumentException for an unknown name, or a named transport this machine lacks
   */
  public static Transport transport(String name) {
    Transport.Choice choice = Transport.choose(name);
    if (choice.fellBack()) {
      System.err.println("generator transport: " + choice.transport().label() + " (" + choice.fallback() + ")");
    }
    return choice.transport();
  }

  public SingleLoop(Transport transport) {
    this.transport = transport;
    this.group = new MultiThreadIoEventLoopGroup(1, transport.ioHandlerFactory());
    this.channelType = transport.socketChannel();
  }

  public Transport transport() {
    return transport;
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
    Bootstrap bootstrap = new Bootstrap();
    transport.receiveBuffers(bootstrap::option);
    bootstrap
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
