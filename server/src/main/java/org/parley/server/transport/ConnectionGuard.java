package org.parley.server.transport;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.parley.server.limits.Throttle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admits a new connection under the {@link ConnectionAdmission} caps and closes it if it has not
 * shown a device's credentials (or opened a provisioning socket, which has its own lifetime) in time.
 * A refused connection is answered with HTTP 503, a Retry-After and a sentence, then closed.
 */
public final class ConnectionGuard extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(ConnectionGuard.class);
  private static final AttributeKey<ConnectionGuard> KEY = AttributeKey.valueOf("parley.connection-guard");
  /** The wait a refused client is told: places free up as connections without credentials time out. */
  static final Duration RETRY_AFTER = Duration.ofSeconds(10);

  private final ConnectionAdmission admission;
  private final ClientAddresses addresses;
  private final Duration timeout;
  private Channel channel;
  private ScheduledFuture<?> deadline;
  private boolean admitted;
  private long opened;
  /** Credentials sent and being checked (read and written on the event loop). */
  private boolean checking;
  /** A connection with a request in progress at its deadline may stay this many timeouts in all. */
  private static final int GRACE_FACTOR = 6;

  ConnectionGuard(ConnectionAdmission admission, ClientAddresses addresses, Duration timeout) {
    this.admission = admission;
    this.addresses = addresses;
    this.timeout = timeout;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    channel = ctx.channel();
    channel.attr(KEY).set(this);
    InetAddress peer = ClientAddresses.peer(channel);
    // Behind a trusted proxy the client is not known until the proxy says; its cap is checked then.
    String address = peer != null && addresses.trusted(peer) ? null : ClientAddresses.key(peer);
    switch (admission.admit(channel, address)) {
      case ConnectionAdmission.Refused refused -> {
        refuse(ctx, refused.reason());
        return;
      }
      case ConnectionAdmission.Admitted ok -> {
        admitted = true;
        if (ok.evicted() != null) {
          ok.evicted().eventLoop().execute(() -> closeUnauthenticated(ok.evicted(), "the server needed room"));
        }
      }
    }
    opened = System.nanoTime();
    deadline = ctx.executor().schedule(this::deadlinePassed, timeout.toMillis(), TimeUnit.MILLISECONDS);
    ctx.fireChannelActive();
  }

  /**
   * Closes the connection, unless a request of it is being answered right now (registering on a
   * busy server can take a while): then it gets a little longer, up to a few times the timeout.
   */
  private void deadlinePassed() {
    Session session = channel.attr(Session.KEY).get();
    boolean busy = checking || (session != null && session.requests().pending() > 0);
    if (busy && System.nanoTime() - opened < timeout.multipliedBy(GRACE_FACTOR).toNanos()) {
      deadline = channel.eventLoop().schedule(this::deadlinePassed, 1, TimeUnit.SECONDS);
      return;
    }
    closeUnauthenticated(
        channel,
        session != null && session.kind() == Session.Kind.UNLINKED
            ? "this device was unlinked"
            : "no credentials within " + timeout.toSeconds() + " s");
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (admitted) {
      admission.closed(ctx.channel());
    }
    if (deadline != null) {
      deadline.cancel(false);
    }
    ctx.fireChannelInactive();
  }

  /**
   * The connection sent credentials, which are being read from the store. That earns it no place
   * ahead of other strangers when room is needed (anyone can send any header; see {@link
   * ConnectionAdmission}), only the deadline's grace while the check is under way, as for a request
   * being answered: a real device on a busy server is not closed for the store's slowness.
   */
  static void checkingCredentials(Channel channel) {
    ConnectionGuard guard = channel.attr(KEY).get();
    if (guard != null) {
      guard.checking = true;
    }
  }

  /**
   * The connection showed a device's credentials: it is no longer limited as a stranger's. Revoked
   * credentials (an UNLINKED session) prove only that the device is gone: that connection stays a
   * stranger's, is told why it was unlinked and is closed at its deadline, so that one revoked
   * credential cannot hold connections outside the strangers' caps.
   */
  public static void authenticated(Channel channel) {
    ConnectionGuard guard = channel.attr(KEY).get();
    if (guard == null) {
      return;
    }
    guard.checking = false;
    Session session = channel.attr(Session.KEY).get();
    if (session != null && session.kind() != Session.Kind.DEVICE) {
      return;
    }
    guard.admission.authenticated(channel);
    guard.cancelDeadline();
  }

  /**
   * A provisioning socket: it lives as long as its QR code, not the short deadline, and takes a place
   * outside the strangers' draw while one is free ({@link ConnectionAdmission#provisioning}).
   */
  static void provisioning(Channel channel) {
    ConnectionGuard guard = channel.attr(KEY).get();
    if (guard != null) {
      guard.cancelDeadline();
      guard.admission.provisioning(channel);
    }
  }

  /** A trusted proxy named the client; false (and the connection is to be refused) when it has too many. */
  static boolean clientIs(Channel channel, InetAddress client) {
    channel.attr(ClientAddresses.CLIENT).set(client);
    ConnectionGuard guard = channel.attr(KEY).get();
    return guard == null || guard.admission.rekey(channel, ClientAddresses.key(client));
  }

  private void cancelDeadline() {
    if (deadline != null) {
      deadline.cancel(false);
    }
  }

  /** Closes a connection without credentials, with a WebSocket close frame once it has upgraded. */
  private static void closeUnauthenticated(Channel channel, String why) {
    if (!channel.isActive()) {
      return;
    }
    log.debug("closing a connection without credentials from {}: {}", ClientAddresses.client(channel), why);
    if (channel.attr(Session.KEY).get() != null) {
      channel
          .writeAndFlush(
              new CloseWebSocketFrame(
                  WebSocketCloseStatus.POLICY_VIOLATION,
                  "connections without credentials are closed after a short while (" + why
                      + "); register or link, then connect with the device's credentials"))
          .addListener(ChannelFutureListener.CLOSE);
    } else {
      channel.close();
    }
  }

  /** A refusal's sentence with the wait in words, as every refusal that passes with time says it. */
  static String tryAgain(String reason) {
    return Throttle.sentence(reason, RETRY_AFTER);
  }

  /** HTTP 503 with Retry-After, written before any request was read, then close. */
  private static void refuse(ChannelHandlerContext ctx, String reason) {
    String body = tryAgain(reason) + "\n";
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    String head =
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: " + RETRY_AFTER.toSeconds()
            + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " + bytes.length
            + "\r\nConnection: close\r\n\r\n";
    ctx.writeAndFlush(Unpooled.wrappedBuffer(head.getBytes(StandardCharsets.US_ASCII), bytes))
        .addListener(ChannelFutureListener.CLOSE);
  }
}
