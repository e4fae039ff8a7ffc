package org.parley.server.transport;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.internal.SystemPropertyUtil;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.parley.protocol.wire.Push;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.parley.server.Limits;
import org.parley.server.auth.Authenticator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Binds the listening socket and runs the event loops on the {@link Transport} the operator chose. */
public final class WebSocketServer implements AutoCloseable {
  static final String LEAK_DETECTION_LEVEL = "io.netty.leakDetection.level";

  private static final Logger LOG = LoggerFactory.getLogger(WebSocketServer.class);

  private final Transport transport;
  private final EventLoopGroup group;
  private final Channel channel;
  /** Every accepted connection, until it closes: what a drain waits for. */
  private final ChannelGroup open;
  private final DeliveryHooks hooks;

  public WebSocketServer(
      String host,
      int port,
      SslContext ssl,
      Authenticator authenticator,
      RequestRouter router,
      SessionListener listener,
      DeliveryHooks acks,
      Executor blocking,
      Limits limits,
      RequestBounds bounds,
      ClientAddresses addresses,
      List<Supplier<ChannelHandler>> streamingHttp,
      String transportName)
      throws InterruptedException {
    leakDetectionOnlyWhenAsked();
    // One event loop per CPU this process may run on (Netty's default is two): a loop with more to
    // do per wake-up reads and writes more per system call, and loops beyond the CPUs only take
    // turns (a server pinned to one core ran four loops on it, switching between them per message).
    // Netty's own property still sets the count, to compare the two on a given machine.
    int loops = SystemPropertyUtil.getInt("io.netty.eventLoopThreads", Runtime.getRuntime().availableProcessors());
    Transport.Loops started = Transport.start(transportName, Math.max(1, loops));
    this.transport = started.transport();
    this.group = started.group();
    if (started.fellBack()) {
      LOG.warn("transport {}: {}; running on {}", transportName == null ? "default" : transportName, started.fallback(), transport.label());
    } else {
      LOG.info("transport: {}", transport.label());
    }
    this.open = new DefaultChannelGroup("connections", group.next());
    this.hooks = acks;
    Endpoints endpoints =
        new Endpoints(
            authenticator, router, listener, acks, new FrameCodec(), blocking, limits, bounds,
            ConnectionAdmission.of(
                limits.maxConnections(), limits.maxUnauthenticatedConnections(), limits.maxUnauthenticatedPerAddress()),
            addresses);
    try {
      ServerBootstrap bootstrap = new ServerBootstrap();
      transport.receiveBuffers(bootstrap::childOption);
      this.channel =
          bootstrap
              .group(group)
              .channel(transport.serverSocketChannel())
              .option(ChannelOption.SO_BACKLOG, 4096)
              .option(ChannelOption.SO_REUSEADDR, true)
              .childOption(ChannelOption.TCP_NODELAY, true)
              // Past the high mark a connection is unwritable: its requests and pushes wait (see
              // ConnectionHandler, DeliveryPump), so a client that does not read holds at most this.
              .childOption(
                  ChannelOption.WRITE_BUFFER_WATER_MARK,
                  new WriteBufferWaterMark(limits.maxUnwrittenBytes() / 2, limits.maxUnwrittenBytes()))
              .childHandler(new ServerInitializer(ssl, endpoints, streamingHttp, open))
              .bind(host, port)
              .sync()
              .channel();
    } catch (RuntimeException | InterruptedException e) {
      group.shutdownGracefully();
      throw e;
    }
  }

  /**
   * Netty's leak detector, on by default, takes a stack trace of one buffer in 128 each time it is
   * touched: 1.8 % of a saturated server's CPU in the profile of issue 16. It is a diagnostic, so it
   * stays off unless asked for with -Dio.netty.leakDetection.level (the test suites ask for it).
   */
  static void leakDetectionOnlyWhenAsked() {
    if (SystemPropertyUtil.get(LEAK_DETECTION_LEVEL) == null) {
      ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
    }
  }

  /** The socket API the event loops run on (what {@code auto} chose). */
  public Transport transport() {
    return transport;
  }

  public int port() {
    return ((InetSocketAddress) channel.localAddress()).getPort();
  }

  /**
   * Stops accepting connections and empties the open ones without losing a commit (see {@link
   * Drain}); returns when all are closed, at most about {@code timeout} later.
   */
  public void drain(Supplier<Push> goodbye, Duration timeout) throws InterruptedException {
    channel.close().syncUninterruptibly();
    new Drain(open, hooks).run(goodbye, timeout);
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
    group.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
  }
}
