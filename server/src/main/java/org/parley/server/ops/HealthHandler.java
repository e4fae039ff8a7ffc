package org.parley.server.ops;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * {@code GET /health/live} and {@code /health/ready} on the devices' port, for a load balancer in
 * front of the relay. It stands before the HTTP aggregator and hands on every other request.
 *
 * <p>Live: the process answers HTTP. Ready: every readiness check passed and the node is not
 * draining; a 503 says which check failed. Neither says anything about users or traffic.
 */
public final class HealthHandler extends ChannelInboundHandlerAdapter {
  public static final String LIVE = "/health/live";
  public static final String READY = "/health/ready";

  private final Readiness readiness;
  private String answering;

  public HealthHandler(Readiness readiness) {
    this.readiness = readiness;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (answering == null && msg instanceof HttpRequest request) {
      String path = new QueryStringDecoder(request.uri()).path();
      if (path.equals(LIVE) || path.equals(READY)) {
        answering = path;
      }
    }
    if (answering == null) {
      ctx.fireChannelRead(msg);
      return;
    }
    // The request's parts are ours up to its last one; the answer goes when the request is whole.
    boolean last = msg instanceof LastHttpContent;
    ReferenceCountUtil.release(msg);
    if (last) {
      answer(answering).thenAccept(response -> ctx.executor().execute(() -> send(ctx, response)));
    }
  }

  /** The answer to a health path, for both the devices' port and the admin listener. */
  CompletableFuture<FullHttpResponse> answer(String path) {
    if (path.equals(LIVE)) {
      return CompletableFuture.completedFuture(text(HttpResponseStatus.OK, "live"));
    }
    return readiness
        .check()
        .thenApply(
            report -> {
              StringBuilder body = new StringBuilder(report.ready() ? "ready" : "not ready");
              for (Readiness.Result result : report.results()) {
                body.append('\n')
                    .append(result.name())
                    .append(": ")
                    .append(result.problem() == null ? "ok" : result.problem());
              }
              return text(
                  report.ready() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                  body.toString());
            });
  }

  static FullHttpResponse text(HttpResponseStatus status, String text) {
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, status, Unpooled.copiedBuffer(text + "\n", StandardCharsets.UTF_8));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
    response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
    return response;
  }

  private static void send(ChannelHandlerContext ctx, FullHttpResponse response) {
    response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }
}
