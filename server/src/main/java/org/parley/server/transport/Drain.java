package org.parley.server.transport;

import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.channel.ChannelFutureListener;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.parley.protocol.wire.Push;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Empties a server that no longer accepts connections, losing nothing: every connection is told to
 * reconnect elsewhere and takes no new request, and is closed (WebSocket 1001, going away) once each
 * request it had accepted is answered — so every commit in flight is finished and its "sent" is out
 * — and the envelopes pushed to it are acked, or a grace has passed. Whatever is still open when the
 * timeout ends is closed anyway; what it had not been told was stored was not stored.
 */
final class Drain {
  private static final Logger log = LoggerFactory.getLogger(Drain.class);
  /** How long a settled-but-for-acks device has to ack what it was pushed before it is closed. */
  private static final long ACK_GRACE_NANOS = TimeUnit.SECONDS.toNanos(2);
  private static final long POLL_MILLIS = 20;

  private final ChannelGroup channels;
  private final DeliveryHooks hooks;

  Drain(ChannelGroup channels, DeliveryHooks hooks) {
    this.channels = channels;
    this.hooks = hooks;
  }

  /** Returns when every connection is closed; at most about {@code timeout} later. */
  void run(Supplier<Push> goodbye, Duration timeout) throws InterruptedException {
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    int told = 0;
    for (Channel channel : channels) {
      Session session = channel.attr(Session.KEY).get();
      if (session != null) {
        channel.eventLoop().execute(() -> session.drain(goodbye.get(), start));
        told++;
      }
    }
    log.info("draining: told {} connections to reconnect elsewhere", told);
    while (!channels.isEmpty() && System.nanoTime() < deadline) {
      for (Channel channel : channels) {
        channel.eventLoop().execute(() -> closeIfDone(channel));
      }
      Thread.sleep(POLL_MILLIS);
    }
    if (!channels.isEmpty()) {
      log.warn("draining: {} connections still busy after {}; closing them", channels.size(), timeout);
      channels.close().await(5, TimeUnit.SECONDS);
    }
  }

  /** Runs on the channel's event loop. */
  private void closeIfDone(Channel channel) {
    Session session = channel.attr(Session.KEY).get();
    if (session == null || !session.isDraining() || session.goneAway || !channel.isActive()) {
      return; // plain HTTP (a blob transfer) finishes and closes by itself, or at the deadline
    }
    if (session.unanswered() > 0) {
      return;
    }
    boolean acked = session.kind() != Session.Kind.DEVICE || hooks.settled(session);
    if (acked || System.nanoTime() - session.drainingSince() > ACK_GRACE_NANOS) {
      session.goneAway = true;
      channel
          .writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE, "server draining; reconnect"))
          .addListener(ChannelFutureListener.CLOSE);
    }
  }
}
