package org.parley.server.transport;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import java.nio.charset.StandardCharsets;
import org.parley.server.auth.Authenticator;
import org.parley.server.store.DeviceRecord;
import org.parley.server.store.Tombstone;

/**
 * The HTTP side of a new connection: authenticates and upgrades the two WebSocket endpoints
 * ({@code /v1/websocket}, {@code /v1/provisioning}) and answers the plain ones.
 */
final class HttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  static final String WEBSOCKET_PATH = "/v1/websocket";
  static final String PROVISIONING_PATH = "/v1/provisioning";

  private final Endpoints endpoints;

  HttpHandler(Endpoints endpoints) {
    this.endpoints = endpoints;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    if (!request.decoderResult().isSuccess()) {
      respond(ctx, HttpResponseStatus.BAD_REQUEST, "malformed HTTP request");
      return;
    }
    java.net.InetAddress forwarded =
        endpoints.addresses().forwardedFor(ClientAddresses.peer(ctx.channel()), request.headers().get("X-Forwarded-For"));
    if (forwarded != null && !ConnectionGuard.clientIs(ctx.channel(), forwarded)) {
      // As ConnectionGuard refuses a peer over its cap: the wait in words and in Retry-After.
      FullHttpResponse refused =
          plain(HttpResponseStatus.SERVICE_UNAVAILABLE,
              ConnectionGuard.tryAgain("too many connections without credentials from your address"));
      refused.headers().set(HttpHeaderNames.RETRY_AFTER, ConnectionGuard.RETRY_AFTER.toSeconds());
      ctx.writeAndFlush(refused).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    QueryStringDecoder uri = new QueryStringDecoder(request.uri());
    switch (uri.path()) {
      case WEBSOCKET_PATH -> device(ctx, request, !uri.parameters().getOrDefault("deliver", java.util.List.of("true")).contains("false"));
      case PROVISIONING_PATH -> upgrade(ctx, request, Session.Kind.PROVISIONING, null, null, null, false);
      case "/health" -> respond(ctx, HttpResponseStatus.OK, "ok");
      default -> respond(ctx, HttpResponseStatus.NOT_FOUND, "no such endpoint");
    }
  }

  private void device(ChannelHandlerContext ctx, FullHttpRequest request, boolean deliver) {
    String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
    if (authorization == null) {
      upgrade(ctx, request, Session.Kind.ANONYMOUS, null, null, null, false);
      return;
    }
    ConnectionGuard.checkingCredentials(ctx.channel());
    request.retain();
    endpoints.blocking().execute(() -> {
      Authenticator.Result result;
      try {
        result = endpoints.authenticator().authenticate(authorization);
      } catch (RuntimeException e) {
        result = new Authenticator.Refused("the server cannot check credentials right now");
      }
      Authenticator.Result checked = result;
      ctx.executor().execute(() -> {
        try {
          switch (checked) {
            case Authenticator.Authenticated ok ->
                upgrade(ctx, request, Session.Kind.DEVICE, ok.device(), ok.phone(), null, deliver);
            case Authenticator.Revoked revoked ->
                upgrade(ctx, request, Session.Kind.UNLINKED, null, null, revoked.tombstone(), false);
            case Authenticator.Refused refused ->
                respond(ctx, HttpResponseStatus.UNAUTHORIZED, refused.reason());
          }
        } finally {
          request.release();
        }
      });
    });
  }

  private void upgrade(
      ChannelHandlerContext ctx,
      FullHttpRequest request,
      Session.Kind kind,
      DeviceRecord device,
      String phone,
      Tombstone tombstone,
      boolean deliver) {
    if (!HttpHeaderValues.WEBSOCKET.contentEqualsIgnoreCase(request.headers().get(HttpHeaderNames.UPGRADE))) {
      respond(ctx, HttpResponseStatus.BAD_REQUEST, "this endpoint takes a WebSocket upgrade");
      return;
    }
    int maxFrame = endpoints.limits().maxFrameBytes();
    WebSocketServerHandshaker handshaker =
        new WebSocketServerHandshakerFactory(location(request), null, false, maxFrame)
            .newHandshaker(request);
    if (handshaker == null) {
      WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
      return;
    }
    var channel = ctx.channel();
    Session session =
        new Session(channel, kind, device, phone, tombstone, deliver, remote(ctx), endpoints.blocking());
    channel.attr(Session.KEY).set(session);
    channel
        .pipeline()
        .addLast(new WebSocketFrameAggregator(maxFrame))
        .addLast(new ControlFrameHandler())
        .addLast(endpoints.frameCodec())
        .addLast(
            new ConnectionHandler(
                session, endpoints.router(), endpoints.acks(), endpoints.bounds(), endpoints.limits().maxUnwrittenBytes()));
    if (kind == Session.Kind.DEVICE || kind == Session.Kind.UNLINKED) {
      // Checked already: not a stranger from here on, also while the handshake is written.
      ConnectionGuard.authenticated(channel);
    }
    handshaker
        .handshake(channel, request)
        .addListener(
            future -> {
              if (!future.isSuccess()) {
                channel.close();
                return;
              }
              channel.pipeline().remove(this);
              ServerInitializer.dropStreamingHttp(channel.pipeline());
              if (kind == Session.Kind.PROVISIONING) {
                ConnectionGuard.provisioning(channel);
              }
              endpoints.listener().opened(session);
              channel.closeFuture().addListener(closed -> endpoints.listener().closed(session));
            });
  }

  private static String location(FullHttpRequest request) {
    return "ws://" + request.headers().get(HttpHeaderNames.HOST, "localhost") + request.uri();
  }

  /** The client's address as per-address limits key it (what a trusted proxy said, else the peer). */
  private static String remote(ChannelHandlerContext ctx) {
    return ClientAddresses.key(ClientAddresses.client(ctx.channel()));
  }

  static void respond(ChannelHandlerContext ctx, HttpResponseStatus status, String text) {
    ctx.writeAndFlush(plain(status, text)).addListener(ChannelFutureListener.CLOSE);
  }

  /** A short text answer after which the connection closes. */
  private static FullHttpResponse plain(HttpResponseStatus status, String text) {
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            status,
            Unpooled.copiedBuffer(text + "\n", StandardCharsets.UTF_8));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
    response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    return response;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent idle && idle.state() == IdleState.READER_IDLE) {
      ctx.close();
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
