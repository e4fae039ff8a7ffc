package org.parley.server.transport;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.util.concurrent.Executor;
import org.parley.protocol.wire.Frame;
import org.parley.protocol.wire.Push;
import org.parley.protocol.wire.Response;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.DeviceRecord;
import org.parley.server.store.Tombstone;

/** One WebSocket connection and who is on the other end of it. */
public final class Session {
  static final AttributeKey<Session> KEY = AttributeKey.valueOf("parley.session");

  public enum Kind {
    /** No credentials: may only register. */
    ANONYMOUS,
    /** A linked device, authenticated by its credential. */
    DEVICE,
    /** A companion waiting to be linked. */
    PROVISIONING,
    /** A device whose credential was revoked: it is told why, and nothing else. */
    UNLINKED
  }

  private final Channel channel;
  private final Kind kind;
  private final DeviceRecord device;
  private final String phone;
  private final Tombstone tombstone;
  private final boolean receivesQueue;
  private final String remoteAddress;
  private final SerialExecutor requests;
  private volatile Object attachment;
  /** Requests accepted and not yet answered: a draining server waits for them. */
  private final java.util.concurrent.atomic.AtomicInteger unanswered = new java.util.concurrent.atomic.AtomicInteger();
  private volatile boolean draining;
  /** Drain sent the close frame (touched on the event loop only). */
  boolean goneAway;
  private volatile long drainingSince;
  /** Pushes and work held until the client has spoken first (see {@link #markReady}). */
  private java.util.List<Object> beforeReady = new java.util.ArrayList<>();
  private static final int MAX_HELD = 64;

  Session(
      Channel channel,
      Kind kind,
      DeviceRecord device,
      String phone,
      Tombstone tombstone,
      boolean receivesQueue,
      String remoteAddress,
      Executor requestExecutor) {
    this.channel = channel;
    this.kind = kind;
    this.device = device;
    this.phone = phone;
    this.tombstone = tombstone;
    this.receivesQueue = receivesQueue;
    this.remoteAddress = remoteAddress;
    this.requests = new SerialExecutor(requestExecutor);
  }

  public Kind kind() {
    return kind;
  }

  /** The authenticated device; only for {@link Kind#DEVICE} sessions. */
  public DeviceRecord device() {
    return device;
  }

  /** The account's phone number; only for {@link Kind#DEVICE} sessions. */
  public String phone() {
    return phone;
  }

  public DeviceAddress address() {
    return device.address();
  }

  /**
   * Whether the device's queue flows to this connection. A device may hold other connections at
   * the same time (a one-off send from a script) that must not steal its queue.
   */
  public boolean receivesQueue() {
    return receivesQueue;
  }

  public Tombstone tombstone() {
    return tombstone;
  }

  public String remoteAddress() {
    return remoteAddress;
  }

  public Channel channel() {
    return channel;
  }

  SerialExecutor requests() {
    return requests;
  }

  /** Per-subsystem state of this connection (the delivery pump, the provisioning address). */
  @SuppressWarnings("unchecked")
  public <T> T attachment() {
    return (T) attachment;
  }

  public void attach(Object value) {
    this.attachment = value;
  }

  /**
   * Sends a push now, or once the client has spoken first. Several WebSocket clients (the JDK's
   * among them, now and then) lose frames that arrive in the same read as the upgrade response, so
   * the server says nothing until the client's first frame proves it is reading.
   */
  public void push(Push push) {
    Frame frame = Frame.newBuilder().setPush(push).build();
    synchronized (this) {
      if (beforeReady != null) {
        if (beforeReady.size() < MAX_HELD) {
          beforeReady.add(frame);
        }
        return;
      }
    }
    channel.writeAndFlush(frame);
  }

  /** Runs work (starting the delivery of a queue) once the client has spoken first. */
  public void whenReady(Runnable task) {
    synchronized (this) {
      if (beforeReady != null) {
        beforeReady.add(task);
        return;
      }
    }
    task.run();
  }

  /** The client's first frame arrived: what was held goes out, in order. */
  void markReady() {
    java.util.List<Object> held;
    synchronized (this) {
      if (beforeReady == null) {
        return;
      }
      held = beforeReady;
      beforeReady = null;
    }
    for (Object item : held) {
      if (item instanceof Runnable task) {
        task.run();
      } else {
        channel.writeAndFlush(item);
      }
    }
  }

  void reply(Response response) {
    channel.writeAndFlush(Frame.newBuilder().setResponse(response).build());
  }

  /** A request was accepted; {@link #answer} follows. */
  void accepted() {
    unanswered.incrementAndGet();
  }

  /** The answer to an accepted request. */
  void answer(Response response) {
    reply(response);
    unanswered.decrementAndGet();
  }

  int unanswered() {
    return unanswered.get();
  }

  /**
   * The server is draining: no new request is taken on this connection, nothing new is pushed, and
   * the device is told to reconnect elsewhere.
   */
  void drain(Push goodbye, long nanoTime) {
    drainingSince = nanoTime;
    draining = true;
    push(goodbye);
  }

  public boolean isDraining() {
    return draining;
  }

  long drainingSince() {
    return drainingSince;
  }

  public void close() {
    channel.close();
  }

  @Override
  public String toString() {
    return kind + (device != null ? " " + device.address() : "") + " from " + remoteAddress;
  }
}
