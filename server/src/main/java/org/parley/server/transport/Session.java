package org.parley.server.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.util.AttributeKey;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.parley.protocol.wire.Frame;
import org.parley.protocol.wire.Push;
import org.parley.protocol.wire.Response;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.DeviceRecord;
import org.parley.server.store.Tombstone;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One WebSocket connection and who is on the other end of it. */
public final class Session {
  private static final Logger log = LoggerFactory.getLogger(Session.class);
  static final AttributeKey<Session> KEY = AttributeKey.valueOf("parley.session");
  /**
   * Pushes held for a connection whose client has not spoken yet. A client that stays silent while
   * more come is closed rather than have any dropped behind its back (see {@link #heldTooMany}).
   */
  static final int MAX_HELD = 64;
  /**
   * The close reason past {@link #MAX_HELD} on a device's connection: nothing was lost, since its
   * envelopes stay stored until acked (the pump sends them, never held here) and the rest (pre-keys
   * low, inactivity warnings, unlinked) is said anew on connecting. At most 123 bytes, as every close
   * reason (RFC 6455 §5.5).
   */
  static final String HELD_TOO_MANY =
      "more than " + MAX_HELD + " pushes waited for this connection's first frame; reconnect and send one at once:"
          + " nothing was lost";
  /**
   * The same on a provisioning socket: what was relayed to it is gone with it (a new socket has a new
   * address), so the companion shows a new code to be scanned again.
   */
  static final String HELD_TOO_MANY_PROVISIONING =
      "more than " + MAX_HELD + " pushes waited for this socket's first frame; open a new one and scan its new code:"
          + " these are lost";

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
  /** Requests accepted and not yet answered: a draining server waits for them. */
  private final AtomicInteger unanswered = new AtomicInteger();
  private volatile boolean draining;
  /** Drain sent the close frame (touched on the event loop only). */
  boolean goneAway;
  private volatile long drainingSince;
  /**
   * Pushes (as their writes) and work held until the client has spoken first (see {@link #markReady});
   * null after. Only pushes count against {@link #MAX_HELD}: the work is the server's own, one task a
   * connection (starting its delivery pump).
   */
  private List<Runnable> beforeReady = new ArrayList<>();
  /** How many of {@link #beforeReady} are pushes. */
  private int heldPushes;

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

  /**
   * One subsystem's state on a connection (the delivery pump, a provisioning address), of the type
   * its slot names. The subsystems live in packages that depend on this one, so the session cannot
   * name their types itself; each declares its own slot.
   */
  public static final class Slot<T> {
    private final AttributeKey<T> key;

    private Slot(String name) {
      this.key = AttributeKey.newInstance("parley." + name);
    }

    /** A new slot; {@code name} must be unique in the server (it is only read in debugging). */
    public static <T> Slot<T> named(String name) {
      return new Slot<>(name);
    }
  }

  /** What {@code slot} holds on this connection, or null. */
  public <T> T get(Slot<T> slot) {
    return channel.attr(slot.key).get();
  }

  public <T> void put(Slot<T> slot, T value) {
    channel.attr(slot.key).set(value);
  }

  /**
   * Sends a push now, or once the client has spoken first. Several WebSocket clients (the JDK's
   * among them, now and then) lose frames that arrive in the same read as the upgrade response, so
   * the server says nothing until the client's first frame proves it is reading.
   */
  public void push(Push push) {
    Frame frame = Frame.newBuilder().setPush(push).build();
    synchronized (this) {
      if (beforeReady != null && heldPushes < MAX_HELD) {
        heldPushes++;
        beforeReady.add(() -> channel.writeAndFlush(frame));
        return;
      }
      if (beforeReady != null) {
        refuseHeld(push);
        return;
      }
    }
    channel.writeAndFlush(frame);
  }

  /**
   * A silent client with {@link #MAX_HELD} pushes held already: closed with a reason it can act on,
   * never a push dropped while the connection stays open as if nothing was missed.
   */
  private void refuseHeld(Push push) {
    if (!channel.isActive()) {
      return; // closed already (this overflow's earlier push, or the client went)
    }
    log.info("closing {}: {} pushes held and it has not spoken yet (next was {})", this, MAX_HELD, push.getBodyCase());
    channel.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.TRY_AGAIN_LATER, heldTooMany()))
        .addListener(ChannelFutureListener.CLOSE);
  }

  String heldTooMany() {
    return kind == Kind.PROVISIONING ? HELD_TOO_MANY_PROVISIONING : HELD_TOO_MANY;
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

  /**
   * The client's first frame arrived: what was held goes out, in order. Runs on the channel's event
   * loop (from the first read), which is what keeps the order: a push that finds nothing held any
   * more while this still runs comes from another thread, and its write is queued on the loop
   * behind this task; one on the loop cannot run in between.
   */
  void markReady() {
    List<Runnable> held;
    synchronized (this) {
      if (beforeReady == null) {
        return;
      }
      held = beforeReady;
      beforeReady = null;
    }
    held.forEach(Runnable::run);
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
