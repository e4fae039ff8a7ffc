package org.parley.server.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import org.parley.protocol.wire.Frame;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end of an upgraded connection's pipeline: hands each request to the router in arrival order,
 * answers malformed input with an error, and gives acks straight to the delivery pump.
 */
final class ConnectionHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(ConnectionHandler.class);
  /** Malformed frames tolerated on one connection before it is closed as hopeless. */
  private static final int MAX_MALFORMED = 16;
  /** Requests accepted but not yet answered on one connection. */
  private static final int MAX_PENDING_REQUESTS = 256;

  private final Session session;
  private final RequestRouter router;
  private final DeliveryHooks acks;
  private int malformed;

  ConnectionHandler(Session session, RequestRouter router, DeliveryHooks acks) {
    this.session = session;
    this.router = router;
    this.acks = acks;
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
    if (session.requests().pending() >= MAX_PENDING_REQUESTS) {
      router.refused(Status.RATE_LIMITED);
      session.reply(
          Response.newBuilder()
              .setId(request.getId())
              .setStatus(Status.RATE_LIMITED)
              .setMessage("too many requests in flight on this connection; wait for answers")
              .build());
      return;
    }
    // The handler runs in order with this connection's other requests up to the point where it hands
    // work to the store; the answer is written whenever that work completes.
    session.accepted();
    session.requests().execute(() -> router.dispatch(session, request).thenAccept(session::answer));
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable() && session.kind() == Session.Kind.DEVICE) {
      acks.writable(session);
    }
    ctx.fireChannelWritabilityChanged();
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
