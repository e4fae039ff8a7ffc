package org.parley.server.transport;

import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringBufferRingConfig;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringFixedBufferRingAllocator;
import io.netty.channel.uring.IoUringIoHandlerConfig;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The socket API Netty's event loops run on: io_uring, epoll or Java's NIO. Chosen by name ({@code
 * auto}, {@code io_uring}, {@code epoll}, {@code nio}); {@code auto} takes the first the kernel and
 * the native libraries allow in that order. The server and the bench's lean drivers choose here, so
 * they fall back alike and say the same thing when they do.
 */
public enum Transport {
  IO_URING("io_uring", IoUring::isAvailable, IoUring::unavailabilityCause),
  EPOLL("epoll", Epoll::isAvailable, Epoll::unavailabilityCause),
  NIO("nio", () -> true, () -> null);

  /**
   * What a server runs on when the operator names nothing (a null name): epoll, else nio, as before
   * the choice existed. io_uring becomes the default only once it is measured clearly cheaper per
   * message on the server (BENCHMARKS.md, "Transport: io_uring").
   */
  public static final String DEFAULT_DESCRIPTION = "epoll, else nio";

  /** The provided-buffer ring io_uring receives draw from: its id, buffers and their size, per loop. */
  private static final short RECEIVE_BUFFER_GROUP = 1;
  private static final short RECEIVE_BUFFERS = 1024;
  private static final int RECEIVE_BUFFER_BYTES = 4096;

  /**
   * Sets what makes a connection's receives use the loop's shared buffer ring (io_uring only; the
   * other transports read into a buffer taken when data is there already).
   */
  public void receiveBuffers(java.util.function.BiConsumer<ChannelOption<Short>, Short> childOption) {
    if (this == IO_URING) {
      childOption.accept(IoUringChannelOption.IO_URING_BUFFER_GROUP_ID, RECEIVE_BUFFER_GROUP);
    }
  }

  /** io_uring completion queue entries per event loop (16 bytes each). */
  static final int COMPLETION_SLOTS = 32_768;

  /** The names {@link #choose} accepts. */
  public static final String CHOICES = "auto, io_uring, epoll or nio";

  private final String label;
  private final BooleanSupplier available;
  private final Supplier<Throwable> why;

  Transport(String label, BooleanSupplier available, Supplier<Throwable> why) {
    this.label = label;
    this.available = available;
    this.why = why;
  }

  /** The outcome of a choice: the transport, and what {@code auto} passed over (empty otherwise). */
  public record Choice(Transport transport, String fallback) {
    public boolean fellBack() {
      return !fallback.isEmpty();
    }
  }

  /**
   * The transport {@code name} asks for. {@code auto} falls back from io_uring to epoll to nio, and
   * null (no choice made: {@link #DEFAULT_DESCRIPTION}) from epoll to nio, each saying why in {@link
   * Choice#fallback}; a named transport this machine cannot run is an error.
   *
   * @throws IllegalArgumentException for an unknown name or an unavailable named transport
   */
  public static Choice choose(String name) {
    if (name == null) {
      return firstAvailable(List.of(EPOLL, NIO));
    }
    String wanted = name.strip().toLowerCase(Locale.ROOT);
    if (wanted.equals("auto")) {
      return firstAvailable(List.of(values()));
    }
    for (Transport t : values()) {
      if (t.label.equals(wanted)) {
        if (!t.available()) {
          throw new IllegalArgumentException(
              "transport " + t.label + " is not available on this machine (" + t.unavailability()
                  + "); choose auto to fall back, or epoll or nio");
        }
        return new Choice(t, "");
      }
    }
    throw new IllegalArgumentException("unknown transport '" + name + "': choose " + CHOICES);
  }

  /** Event loops started on a transport, and what was passed over on the way (empty if nothing). */
  public record Loops(Transport transport, EventLoopGroup group, String fallback) {
    public boolean fellBack() {
      return !fallback.isEmpty();
    }
  }

  /**
   * Starts {@code threads} event loops on the transport {@code name} chooses (see {@link #choose}).
   * A probe can pass where the loops' own rings cannot be made (a kernel that charges rings to a
   * small locked-memory limit refuses the larger completion queue these loops ask for): then {@code
   * auto} and the default go on to the next transport, adding the reason to the fallback, while a
   * transport asked for by name fails with it.
   *
   * @throws IllegalArgumentException for an unknown or unavailable name, or a named transport whose
   *     loops do not start
   */
  public static Loops start(String name, int threads) {
    return start(name, threads, Transport::ioHandlerFactory);
  }

  static Loops start(String name, int threads, Function<Transport, IoHandlerFactory> handlers) {
    Choice choice = choose(name);
    boolean named = name != null && !name.strip().equalsIgnoreCase("auto");
    List<Transport> order = name == null ? List.of(EPOLL, NIO) : named ? List.of(choice.transport()) : List.of(values());
    StringBuilder passed = new StringBuilder(choice.fallback());
    for (Transport t : order.subList(order.indexOf(choice.transport()), order.size())) {
      if (!t.available()) {
        continue;
      }
      try {
        return new Loops(t, new MultiThreadIoEventLoopGroup(threads, handlers.apply(t)), passed.toString());
      } catch (RuntimeException refused) {
        String why = t.label + " could not start its event loops (" + rootMessage(refused) + ")";
        if (named || t == NIO) {
          throw new IllegalArgumentException("transport " + why + (named ? "; choose auto to fall back, or another" : ""), refused);
        }
        passed.append(passed.isEmpty() ? "" : "; ").append(why);
      }
    }
    throw new IllegalStateException("no transport started: " + passed); // nio always does, or threw above
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
  }

  private static Choice firstAvailable(List<Transport> order) {
    StringBuilder passed = new StringBuilder();
    for (Transport t : order) {
      if (t.available()) {
        return new Choice(t, passed.toString());
      }
      passed.append(passed.isEmpty() ? "" : "; ").append(t.label).append(" unavailable (").append(t.unavailability()).append(')');
    }
    throw new IllegalStateException("no transport available: " + passed); // nio always is
  }

  public boolean available() {
    return available.getAsBoolean();
  }

  private String unavailability() {
    Throwable cause = why.get();
    if (cause == null) {
      return "no reason given";
    }
    // Netty wraps the real reason (kernel too old, io_uring_disabled, noNative) once or twice.
    while (cause.getCause() != null && cause.getMessage() == null) {
      cause = cause.getCause();
    }
    return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
  }

  /** The name an operator types and a report prints. */
  public String label() {
    return label;
  }

  public IoHandlerFactory ioHandlerFactory() {
    return switch (this) {
      // Every connection keeps a receive in the ring, and a loop turn can complete thousands of
      // writes: Netty's 4,096 completion slots overflowed under the bench's 1,000 connections
      // (the kernel then parks completions on a slower list and Netty warns on every turn).
      // Receives take their buffer from a ring the loop's connections share (see receiveBuffers):
      // with a buffer of its own armed on every socket, an idle connection held 17.6 KB of memory
      // instead of 3 KB on epoll; from the shared ring, 4.7 KB.
      case IO_URING -> IoUringIoHandler.newFactory(new IoUringIoHandlerConfig()
          .setCqSize(COMPLETION_SLOTS)
          .setBufferRingConfig(IoUringBufferRingConfig.builder()
              .bufferGroupId(RECEIVE_BUFFER_GROUP)
              .bufferRingSize(RECEIVE_BUFFERS)
              .batchSize(64)
              .allocator(new IoUringFixedBufferRingAllocator(RECEIVE_BUFFER_BYTES))
              .build()));
      case EPOLL -> EpollIoHandler.newFactory();
      case NIO -> NioIoHandler.newFactory();
    };
  }

  public Class<? extends SocketChannel> socketChannel() {
    return switch (this) {
      case IO_URING -> IoUringSocketChannel.class;
      case EPOLL -> EpollSocketChannel.class;
      case NIO -> NioSocketChannel.class;
    };
  }

  public Class<? extends ServerChannel> serverSocketChannel() {
    return switch (this) {
      case IO_URING -> IoUringServerSocketChannel.class;
      case EPOLL -> EpollServerSocketChannel.class;
      case NIO -> NioServerSocketChannel.class;
    };
  }
}
