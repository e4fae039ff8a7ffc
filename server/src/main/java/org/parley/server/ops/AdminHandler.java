package org.parley.server.ops;

import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin listener's requests: {@code /metrics} and {@code /health/*} for monitoring, and {@code
 * /admin/*} for {@code parley admin}, which needs the bearer token from the data directory and a
 * loopback peer. Store work runs on the blocking executor, never on the event loop.
 */
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final Logger log = LoggerFactory.getLogger(AdminHandler.class);
  static final String ACCOUNTS = "/admin/accounts/";

  private final ServerMetrics metrics;
  private final HealthHandler health;
  private final AdminApi api;
  private final byte[] token;
  private final Executor blocking;

  AdminHandler(ServerMetrics metrics, Readiness readiness, AdminApi api, String token, Executor blocking) {
    this.metrics = metrics;
    this.health = new HealthHandler(readiness);
    this.api = api;
    this.token = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
    this.blocking = blocking;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    QueryStringDecoder uri = new QueryStringDecoder(request.uri());
    String path = uri.path();
    HttpMethod method = request.method();
    if (path.equals(HealthHandler.LIVE) || path.equals(HealthHandler.READY)) {
      health.answer(path).thenAccept(response -> ctx.executor().execute(() -> send(ctx, response)));
      return;
    }
    if (path.equals("/metrics") && method.equals(HttpMethod.GET)) {
      work(ctx, () -> scrape(ctx));
      return;
    }
    if (!path.startsWith("/admin/")) {
      send(ctx, HealthHandler.text(HttpResponseStatus.NOT_FOUND, "no such endpoint"));
      return;
    }
    if (!loopback(ctx)) {
      send(ctx, HealthHandler.text(HttpResponseStatus.FORBIDDEN, "the admin API answers loopback only"));
      return;
    }
    String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION, "");
    if (!MessageDigest.isEqual(token, authorization.getBytes(StandardCharsets.UTF_8))) {
      send(
          ctx,
          HealthHandler.text(
              HttpResponseStatus.UNAUTHORIZED,
              "the admin API needs the token from the data directory's admin.properties"));
      return;
    }
    if (path.equals("/admin/stats") && method.equals(HttpMethod.GET)) {
      work(ctx, () -> json(HttpResponseStatus.OK, api.stats()));
    } else if (path.startsWith(ACCOUNTS) && method.equals(HttpMethod.GET)) {
      String who = path.substring(ACCOUNTS.length());
      work(ctx, () -> found(api.account(who), who));
    } else if (path.startsWith(ACCOUNTS) && method.equals(HttpMethod.DELETE)) {
      String who = path.substring(ACCOUNTS.length());
      work(ctx, () -> found(api.deleteAccount(who), who));
    } else if (path.equals("/admin/tombstones/purge") && method.equals(HttpMethod.POST)) {
      long olderThan;
      try {
        olderThan = Long.parseLong(uri.parameters().getOrDefault("older-than-ms", java.util.List.of("")).get(0));
      } catch (NumberFormatException e) {
        send(ctx, HealthHandler.text(HttpResponseStatus.BAD_REQUEST, "give older-than-ms=MILLISECONDS"));
        return;
      }
      work(ctx, () -> json(HttpResponseStatus.OK, api.purgeTombstones(olderThan)));
    } else if (path.equals("/admin/backup") && method.equals(HttpMethod.GET)) {
      blocking.execute(() -> backup(ctx));
    } else {
      send(ctx, HealthHandler.text(HttpResponseStatus.NOT_FOUND, "no such admin endpoint"));
    }
  }

  /** Runs store work off the event loop and sends what it answers. */
  private void work(ChannelHandlerContext ctx, java.util.concurrent.Callable<FullHttpResponse> work) {
    blocking.execute(
        () -> {
          FullHttpResponse response;
          try {
            response = work.call();
          } catch (Exception e) {
            log.warn("admin request failed", e);
            response =
                HealthHandler.text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "failed: " + e.getMessage());
          }
          FullHttpResponse done = response;
          ctx.executor().execute(() -> send(ctx, done));
        });
  }

  private FullHttpResponse scrape(ChannelHandlerContext ctx) throws IOException {
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, ctx.alloc().buffer());
    try (ByteBufOutputStream out = new ByteBufOutputStream(response.content())) {
      metrics.scrape(out);
    } catch (IOException | RuntimeException e) {
      response.release();
      throw e;
    }
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
    return response;
  }

  private static FullHttpResponse found(Optional<String> json, String who) {
    return json.map(body -> json(HttpResponseStatus.OK, body))
        .orElseGet(() -> HealthHandler.text(HttpResponseStatus.NOT_FOUND, "no account " + who));
  }

  private static FullHttpResponse json(HttpResponseStatus status, String body) {
    FullHttpResponse response = HealthHandler.text(status, body);
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
    return response;
  }

  /** Streams a fresh backup file with zero copy, then deletes it. */
  private void backup(ChannelHandlerContext ctx) {
    Optional<Path> made;
    try {
      made = api.backup();
    } catch (IOException | RuntimeException e) {
      log.warn("backup failed", e);
      ctx.executor().execute(() -> send(ctx, HealthHandler.text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "backup failed: " + e.getMessage())));
      return;
    }
    if (made.isEmpty()) {
      ctx.executor().execute(() -> send(ctx, HealthHandler.text(
          HttpResponseStatus.NOT_IMPLEMENTED,
          "this store has no online backup; back up PostgreSQL with its own tools (pg_dump, base backups)")));
      return;
    }
    Path file = made.get();
    try {
      FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
      long size = channel.size();
      ctx.executor().execute(() -> {
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/vnd.sqlite3");
        head.headers().set(HttpHeaderNames.CONTENT_LENGTH, size);
        head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.write(head);
        ctx.write(new DefaultFileRegion(channel, 0, size));
        ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT)
            .addListener(ChannelFutureListener.CLOSE)
            .addListener(done -> deleteQuietly(file));
      });
    } catch (IOException e) {
      deleteQuietly(file);
      ctx.executor().execute(() -> send(ctx, HealthHandler.text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "backup failed: " + e.getMessage())));
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      log.warn("could not delete the backup copy {}", file, e);
    }
  }

  private static boolean loopback(ChannelHandlerContext ctx) {
    return ctx.channel().remoteAddress() instanceof InetSocketAddress inet
        && inet.getAddress() != null
        && inet.getAddress().isLoopbackAddress();
  }

  private static void send(ChannelHandlerContext ctx, FullHttpResponse response) {
    response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
