package org.parley.server.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import java.util.concurrent.atomic.AtomicLong;
import org.parley.protocol.wire.Frame;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end of an upgraded connection's pipeline: hands each request to the router in arrival order,
 * answers malformed input with an error, and gives acks straight to the delivery pump.
 *
 * <p>Back-pressure: while the socket has more unwritten output than its high water mark (the client
 * is not reading its answers), no further request starts and nothing more is read; the same while
 * too many requests, or too many of their bytes, wait to run. The kernel's buffers then fill and
 * the client's own sends stall, so a slow reader costs the server about its water mark, not more.
 */
final class ConnectionHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(ConnectionHandler.class);
  /** Malformed frames tolerated on one connection before it is closed as hopeless. */
  private static final int MAX_MALFORMED = 16;
  /** Requests read but not yet started on one connection before reading stops. */
  static final int MAX_PENDING_REQUESTS = 256;

  private final Session session;
  private final RequestRouter router;
  private final DeliveryHooks acks;
  private final RequestBounds bounds;
  private final long maxPendingBytes;
  private final AtomicLong pendingBytes = new AtomicLong();
  private volatile boolean readingStopped;
  private int malformed;

  ConnectionHandler(
      Session session, RequestRouter router, DeliveryHooks acks, RequestBounds bounds, long maxPendingBytes) {
    this.session = session;
    this.bounds = bounds;
    this.router = router;
    this.acks = acks;
    this.maxPendingBytes = maxPendingBytes;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    session.markReady();
    if (msg instanceof FrameCodec.MalformedFrame bad) {
      refuse(ctx, 0, Status.BAD_REQUEST, bad.reason());
      return;
    }
    if (!(msg instanceof Frame frame) || frame.getKindCase() != Frame.KindCase.REQUEST) {
      refuse(ctx, 0, Status.BAD_REQUEST, "clients send requests only");
      return;
    }
    Request request = frame.getRequest();
    String unknown = UnknownFields.find(frame);
    if (unknown != null) {
      log.info("refused a request from {} with an unknown field {}", session, unknown);
      refuse(
          ctx,
          request.getId(),
          Status.BAD_REQUEST,
          "unknown field " + unknown + "; this server does not understand it (is the client newer than the server?)");
      return;
    }
    String outOfBounds = bounds.check(request);
    if (outOfBounds != null) {
      refuse(ctx, request.getId(), Status.TOO_LARGE, outOfBounds);
      return;
    }
    if (request.getBodyCase() == Request.BodyCase.ACK) {
      // Also the "hello" every client sends first (an empty ack), on any kind of connection.
      if (session.kind() == Session.Kind.DEVICE) {
        acks.ack(session, request);
      }
      return;
    }
    if (session.isDraining()) {
      router.refused(Status.DRAINING);
      session.reply(
          Response.newBuilder()
              .setId(request.getId())
              .setStatus(Status.DRAINING)
              .setMessage("the server is shutting down; nothing was done; reconnect and send again")
              .build());
      return;
    }
    if (session.requests().pending() == 0 && ctx.channel().isWritable() && router.nonBlocking(session, request)) {
      // Nothing of this connection waits to run before it, and it will not block the loop: it is
      // handed to the store from here, in order, without a request thread.
      session.accepted();
      router.dispatch(session, request).thenAccept(session::answer);
      return;
    }
    long size = request.getSerializedSize();
    pendingBytes.addAndGet(size);
    // The handler runs in order with this connection's other requests up to the point where it hands
    // work to the store; the answer is written whenever that work completes.
    session.accepted();
    session.requests().execute(() -> {
      pendingBytes.addAndGet(-size);
      if (readingStopped) {
        ctx.executor().execute(() -> updateReading(ctx));
      }
      router.dispatch(session, request).thenAccept(session::answer);
    });
    updateReading(ctx);
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable()) {
      session.requests().resume();
      if (session.kind() == Session.Kind.DEVICE) {
        acks.writable(session);
      }
    } else {
      session.requests().pause();
    }
    updateReading(ctx);
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    // Whatever waits may run now: its answers go nowhere, and nothing is left parked.
    session.requests().resume();
    ctx.fireChannelInactive();
  }

  /** Reads while the client keeps up with its answers and the requests already read are few. */
  private void updateReading(ChannelHandlerContext ctx) {
    boolean read =
        ctx.channel().isWritable()
            && session.requests().pending() < MAX_PENDING_REQUESTS
            && pendingBytes.get() < maxPendingBytes;
    readingStopped = !read;
    if (ctx.channel().config().isAutoRead() != read) {
      ctx.channel().config().setAutoRead(read);
    }
  }

  private void refuse(ChannelHandlerContext ctx, long id, Status status, String reason) {
    router.refused(status);
    session.reply(Response.newBuilder().setId(id).setStatus(status).setMessage(reason).build());
    if (++malformed > MAX_MALFORMED) {
      log.info("closing {} after {} malformed frames", session, malformed);
      ControlFrameHandler.close(ctx, WebSocketCloseStatus.POLICY_VIOLATION, "too many malformed frames");
    }
  }
}
