package org.parley.server.blobs;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.parley.server.blobs.BlobAccess.Answer;
import org.parley.server.blobs.BlobAccess.Decision;
import org.parley.server.blobs.BlobAccess.Receive;
import org.parley.server.blobs.BlobAccess.Send;
import org.parley.server.blobs.BlobStore.Blob;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /v1/blobs/ID}, authenticated with the device's HTTP Basic credentials, streamed both ways
 * so no blob sits whole in memory: {@code POST /v1/blobs} (reserve an attachment and upload its whole
 * body in one request, tus 1.0's creation-with-upload: a small file's one round trip), {@code PUT}
 * (the whole body), {@code PATCH} with {@code
 * Upload-Offset} and {@code HEAD} (resumable uploads, as in the tus 1.0 core protocol: what arrived
 * before a connection broke stays, and the upload continues after it), {@code GET} with {@code
 * Range}, and {@code DELETE}. It stands before the HTTP aggregator and hands on every request that is
 * not for a blob. A success answered once the whole request was read (an upload that completed, a
 * {@code HEAD}, a {@code DELETE}) keeps the connection open for the client's next request (HTTP/1.1
 * keep-alive: no new connection per file), and a fresh handler takes that request, so nothing of
 * this one's state reaches it; a refusal and a download close the connection.
 *
 * <p>The event loop never blocks: credentials are checked, and bytes written and read, on the
 * blocking executor; reading from the socket pauses while too much of an upload waits for the
 * disk. A fetched blob is not deleted on the spot: only the client knows it got every byte, so it
 * confirms with DELETE, and a blob fetched to its end expires {@link BlobService#FETCHED_GRACE}
 * later in case the client never does.
 */
final class BlobHttpHandler extends ChannelInboundHandlerAdapter {
  static final String PATH_PREFIX = "/v1/blobs/";
  /** Where a POST creates a blob with its body (tus 1.0 creation-with-upload). */
  static final String COLLECTION = "/v1/blobs";
  private static final Logger log = LoggerFactory.getLogger(BlobHttpHandler.class);
  private static final int CHUNK_BYTES = 256 * 1024;
  /** Body bytes gathered before one disk write: fewer, larger writes, and fewer hops between threads. */
  private static final int BATCH_BYTES = 256 * 1024;
  /** Pieces a batch holds before Netty joins them (a client sending tiny pieces costs a copy, no more). */
  private static final int BATCH_PIECES = 1024;
  private static final long PAUSE_READING_ABOVE = 1024 * 1024;
  private static final long RESUME_READING_BELOW = 256 * 1024;
  private static final long WRITE_TIMEOUT_SECONDS = 120;
  private static final long LINGER_SECONDS = 5;
  private static final java.util.Set<HttpMethod> METHODS =
      java.util.Set.of(HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.HEAD, HttpMethod.GET, HttpMethod.DELETE);

  private final BlobStore store;
  private final BlobAccess access;
  private final Executor blocking;

  // Touched on the event loop only, except where noted.
  private boolean ours;
  /** The client keeps the connection open after the answer (HTTP/1.1's default), and the whole request has been read. */
  private boolean keepAlive;
  private boolean requestRead;
  private boolean decided;
  private boolean sending;
  private volatile boolean finished;
  private final ArrayDeque<HttpContent> early = new ArrayDeque<>();
  private BlobStore.Upload upload;
  /** Set on the blocking executor once the blob completed; read after {@link #disk}, which orders it. */
  private volatile boolean completed;
  private Receive receiving;
  private Blob blob;
  private long received;
  private long queued;
  private CompletableFuture<Void> disk = CompletableFuture.completedFuture(null);
  /** Body pieces gathered for the next disk write (event loop only), or null. */
  private CompositeByteBuf batch;

  BlobHttpHandler(BlobStore store, BlobAccess access, Executor blocking) {
    this.store = store;
    this.access = access;
    this.blocking = blocking;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (ours) {
      if (requestRead) {
        // A request pipelined behind this one (HTTP/1.1 allows it) is not taken, and none of it is
        // counted as this one's body: the answer closes the connection, and the client sends it again.
        keepAlive = false;
        ReferenceCountUtil.release(msg);
        return;
      }
      if (msg instanceof HttpContent content && !(msg instanceof HttpRequest)) {
        requestRead |= msg instanceof LastHttpContent;
        body(ctx, content);
      } else {
        ReferenceCountUtil.release(msg);
      }
      return;
    }
    if (msg instanceof HttpRequest request && isBlobPath(new QueryStringDecoder(request.uri()).path())) {
      ours = true;
      keepAlive = HttpUtil.isKeepAlive(request);
      requestRead = msg instanceof LastHttpContent;
      begin(ctx, request);
      if (msg instanceof HttpContent content) {
        body(ctx, content);
      }
      return;
    }
    ctx.fireChannelRead(msg);
  }

  private static boolean isBlobPath(String path) {
    return path.equals(COLLECTION) || path.startsWith(PATH_PREFIX);
  }

  private void begin(ChannelHandlerContext ctx, HttpRequest request) {
    ctx.channel().config().setAutoRead(false);
    if (!request.decoderResult().isSuccess()) {
      answer(ctx, new Answer(HttpResponseStatus.BAD_REQUEST, "malformed HTTP request"));
      return;
    }
    HttpMethod method = request.method();
    if (!METHODS.contains(method)) {
      answer(
          ctx,
          new Answer(
              HttpResponseStatus.METHOD_NOT_ALLOWED,
              "a blob takes POST to " + COLLECTION + " (create with the whole body), PUT (upload), PATCH with Upload-Offset (continue an upload), HEAD (the offset held),"
                  + " GET (download) or DELETE (fetched, no longer needed)"));
      return;
    }
    String path = new QueryStringDecoder(request.uri()).path();
    String id = path.length() > PATH_PREFIX.length() ? path.substring(PATH_PREFIX.length()) : "";
    BlobAccess.Headers headers =
        new BlobAccess.Headers(
            request.headers().get(HttpHeaderNames.AUTHORIZATION),
            request.headers().get(HttpHeaderNames.RANGE),
            request.headers().get(HttpHeaderNames.CONTENT_LENGTH),
            request.headers().get(BlobAccess.UPLOAD_OFFSET),
            request.headers().get(HttpHeaderNames.CONTENT_TYPE),
            request.headers().get(BlobAccess.UPLOAD_LENGTH));
    boolean expectContinue = HttpUtil.is100ContinueExpected(request);
    blocking.execute(() -> {
      Decision decision;
      try {
        decision = access.decide(method, id, headers);
      } catch (IOException | RuntimeException e) {
        log.error("the blob store failed on {} {}", method, id, e);
        decision = new Answer(HttpResponseStatus.INTERNAL_SERVER_ERROR, "the server's blob store failed; try again later");
      }
      Decision decided = decision;
      ctx.executor().execute(() -> act(ctx, decided, expectContinue));
    });
  }

  // ---------------------------------------------------------------- acting (event loop)

  private void act(ChannelHandlerContext ctx, Decision decision, boolean expectContinue) {
    decided = true;
    if (finished || !ctx.channel().isActive()) {
      discard(decision);
      return;
    }
    switch (decision) {
      case Answer answer -> answer(ctx, answer);
      case Receive receive -> {
        // A device's credentials were shown: this upload may outlast the deadline of strangers.
        org.parley.server.transport.ConnectionGuard.authenticated(ctx.channel());
        receiving = receive;
        blob = receive.blob();
        upload = receive.upload();
        // a PATCH continues after the bytes held: the reserved size bounds both together
        received = upload.written();
        if (expectContinue) {
          ctx.writeAndFlush(
              new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER));
        }
        while (!early.isEmpty() && !finished) {
          body(ctx, early.poll());
        }
        flushBatch(ctx, false);
        if (!finished && queued < PAUSE_READING_ABOVE) {
          ctx.channel().config().setAutoRead(true);
        }
      }
      case Send send -> {
        org.parley.server.transport.ConnectionGuard.authenticated(ctx.channel());
        sending = true;
        releaseEarly();
        blocking.execute(() -> pump(ctx, send));
      }
    }
  }

  private void body(ChannelHandlerContext ctx, HttpContent content) {
    if (finished || (decided && upload == null)) {
      content.release();
      return;
    }
    if (upload == null) {
      early.add(content);
      return;
    }
    int bytes = content.content().readableBytes();
    received += bytes;
    if (received > blob.size()) {
      content.release();
      answer(ctx, new Answer(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, BlobAccess.tooLarge(blob)));
      return;
    }
    boolean last = content instanceof LastHttpContent;
    queued += bytes;
    if (queued > PAUSE_READING_ABOVE) {
      ctx.channel().config().setAutoRead(false);
    }
    // The decoder hands the body on in pieces of at most 8 KiB: they are gathered into batches, so the
    // disk executor takes one task (and the event loop one hop back) per batch rather than per piece.
    if (batch == null) {
      batch = ctx.alloc().compositeBuffer(BATCH_PIECES);
    }
    batch.addComponent(true, content.content());
    if (last || batch.readableBytes() >= BATCH_BYTES) {
      flushBatch(ctx, last);
    }
  }

  /** Hands the gathered body bytes (and, if {@code last}, the end of the body) to the disk executor. */
  private void flushBatch(ChannelHandlerContext ctx, boolean last) {
    if (finished || batch == null) {
      return;
    }
    ByteBuf bytes = batch;
    batch = null;
    Receive target = receiving;
    disk = disk.thenRunAsync(() -> write(ctx, target, bytes, last), blocking);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    // What this read burst brought goes to disk now, short of a batch or not: the client may be waiting.
    if (ours) {
      flushBatch(ctx, false);
    } else {
      ctx.fireChannelReadComplete();
    }
  }

  /** On the blocking executor, one batch at a time in arrival order. */
  private void write(ChannelHandlerContext ctx, Receive target, ByteBuf content, boolean last) {
    Answer outcome = null;
    BlobStore.Upload into = target.upload();
    int bytes = content.readableBytes();
    try {
      // Written even when the connection has gone meanwhile: what arrived is what a resumed upload continues after.
      for (ByteBuffer buffer : content.nioBuffers()) {
        into.write(buffer);
      }
      if (last) {
        outcome = ended(target);
        completed = into.written() == target.blob().size();
      }
    } catch (BlobStore.StateException e) {
      outcome = new Answer(HttpResponseStatus.BAD_REQUEST, e.getMessage());
    } catch (IOException | RuntimeException e) {
      boolean full = e.getMessage() != null && e.getMessage().contains("No space left");
      log.error("could not store blob {}", blob.id(), e);
      outcome =
          full
              ? new Answer(HttpResponseStatus.INSUFFICIENT_STORAGE, "the server's disk is full; try again later")
              : new Answer(HttpResponseStatus.INTERNAL_SERVER_ERROR, "the server could not store the blob; try again later");
    } finally {
      content.release();
    }
    Answer answer = outcome;
    ctx.executor().execute(() -> {
      queued -= bytes;
      if (answer != null) {
        answer(ctx, answer);
      } else if (!finished && queued < RESUME_READING_BELOW && !ctx.channel().config().isAutoRead()) {
        ctx.channel().config().setAutoRead(true);
      }
    });
  }

  /**
   * The body is all here: a PUT must have brought the whole blob; a PATCH may have brought only part
   * of it, and is told the offset reached. The blob completes once every byte is held.
   */
  private static Answer ended(Receive target) throws IOException {
    BlobStore.Upload into = target.upload();
    long held = into.written();
    long size = target.blob().size();
    if (held == size) {
      into.complete(target.expiresAtCompletion());
    } else if (target.whole()) {
      throw new BlobStore.StateException("the upload has " + held + " bytes but " + size + " were reserved");
    } else {
      into.close();
    }
    Map<String, String> headers = new java.util.LinkedHashMap<>();
    headers.put(BlobAccess.UPLOAD_OFFSET, Long.toString(held));
    headers.put(BlobAccess.TUS_RESUMABLE, BlobAccess.TUS_VERSION);
    if (target.created()) {
      headers.put("Location", PATH_PREFIX + target.blob().id());
    }
    return target.whole()
        ? new Answer(HttpResponseStatus.CREATED, "stored " + held + " bytes", headers)
        : new Answer(HttpResponseStatus.NO_CONTENT, "", headers);
  }

  /**
   * On the blocking executor: the response, chunk by chunk, a chunk read from disk while the one
   * before is written (at most two, 512 KiB, held per download).
   */
  private void pump(ChannelHandlerContext ctx, Send send) {
    Blob sent = send.blob();
    try (InputStream in = send.bytes()) {
      HttpResponse head =
          new DefaultHttpResponse(
              HttpVersion.HTTP_1_1, send.partial() ? HttpResponseStatus.PARTIAL_CONTENT : HttpResponseStatus.OK);
      head.headers()
          .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_OCTET_STREAM)
          .set(HttpHeaderNames.CONTENT_LENGTH, send.to() - send.from())
          .set(HttpHeaderNames.ACCEPT_RANGES, HttpHeaderValues.BYTES)
          .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      if (send.partial()) {
        head.headers().set(HttpHeaderNames.CONTENT_RANGE, "bytes " + send.from() + "-" + (send.to() - 1) + "/" + sent.size());
      }
      if (!written(ctx.writeAndFlush(head))) {
        return;
      }
      ChannelFuture inFlight = null;
      for (long remaining = send.to() - send.from(); remaining > 0; ) {
        int want = (int) Math.min(CHUNK_BYTES, remaining);
        ByteBuf chunk = ctx.alloc().buffer(want);
        int read;
        try {
          read = chunk.writeBytes(in, want);
        } catch (IOException | RuntimeException e) {
          chunk.release();
          throw e;
        }
        if (read <= 0) {
          chunk.release();
          throw new IOException("blob " + sent.id() + " is shorter on disk than its recorded " + sent.size() + " bytes");
        }
        // One chunk in flight while the next is read from disk: the socket is never left idle waiting for the disk.
        ChannelFuture going = ctx.writeAndFlush(new DefaultHttpContent(chunk));
        if (inFlight != null && !written(inFlight)) {
          return;
        }
        inFlight = going;
        remaining -= read;
      }
      if (inFlight != null && !written(inFlight)) {
        return;
      }
      // Every byte is out; the client may already have closed, so the empty end marker is not waited for.
      if (send.to() == sent.size()) {
        access.fetchedToTheEnd(sent, send.device());
      }
      ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
    } catch (IOException | RuntimeException e) {
      log.warn("sending blob {} failed", sent.id(), e);
    } finally {
      ctx.close();
    }
  }

  private static boolean written(ChannelFuture write) {
    try {
      if (write.await(WRITE_TIMEOUT_SECONDS, TimeUnit.SECONDS) && write.isSuccess()) {
        return true;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    write.channel().close();
    return false;
  }

  // ---------------------------------------------------------------- ending

  /**
   * Answers (success or refusal) with a line of text and closes the connection, or, once the whole
   * request was read and the client keeps it, leaves it open to a fresh handler for the next
   * request; an unfinished upload is discarded first, so that whoever hears the answer can upload
   * again at once.
   */
  private void answer(ChannelHandlerContext ctx, Answer answer) {
    if (finished) {
      return;
    }
    finish(ctx).thenRun(() -> ctx.executor().execute(() -> {
      // 204 and HEAD answers have no body; the others a line of text.
      String text = answer.text().isEmpty() ? "" : answer.text() + "\n";
      FullHttpResponse response =
          new DefaultFullHttpResponse(
              HttpVersion.HTTP_1_1, answer.status(), Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
      // Read on the event loop, after every body piece was: a request read to its end has nothing left on the wire.
      // Only a success: a refused client (a stranger without credentials, say) gets no open connection.
      boolean reuse = keepAlive && requestRead && answer.status().code() < 300 && ctx.channel().isActive();
      if (!reuse) {
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      }
      if (!answer.status().equals(HttpResponseStatus.NO_CONTENT)) {
        response.headers()
            .set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
            .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
      }
      answer.headers().forEach((name, value) -> response.headers().set(name, value));
      if (reuse) {
        // The client sends its next request only once it has this answer: the fresh handler is in
        // place (and reading on) before that request's first byte is read.
        ctx.writeAndFlush(response).addListener(written -> nextRequest(ctx, written.isSuccess()));
      } else {
        ctx.writeAndFlush(response).addListener(written -> linger(ctx));
      }
    }));
  }

  /** Hands the open connection to a fresh handler for the client's next request. */
  private void nextRequest(ChannelHandlerContext ctx, boolean answered) {
    if (!answered || !keepAlive || !ctx.channel().isActive() || ctx.isRemoved()) {
      // (a request pipelined meanwhile was dropped: the client sees the connection end and sends it again)
      ctx.close();
      return;
    }
    ctx.pipeline().replace(this, ctx.name(), new BlobHttpHandler(store, access, blocking));
    ctx.channel().config().setAutoRead(true);
  }

  /**
   * Closing a socket with request bytes still unread makes the kernel reset the connection, and the
   * client may lose the answer with it (a refused upload is mid-body). So end only the output (with
   * TLS, by its close_notify), take in and drop whatever the client still sends, and close once it
   * does, or after a few seconds.
   */
  private static void linger(ChannelHandlerContext ctx) {
    if (!(ctx.channel() instanceof DuplexChannel duplex) || !duplex.isActive()) {
      ctx.close();
      return;
    }
    SslHandler tls = ctx.pipeline().get(SslHandler.class);
    if (tls != null) {
      tls.closeOutbound();
    } else {
      duplex.shutdownOutput();
    }
    duplex.config().setAutoRead(true);
    ctx.executor().schedule(() -> ctx.close(), LINGER_SECONDS, TimeUnit.SECONDS);
  }

  /** Drops whatever is left of the request; completes once an unfinished upload has been discarded. */
  private CompletableFuture<Void> finish(ChannelHandlerContext ctx) {
    // What arrived and was not handed to the disk yet goes there too: a resumed upload continues after it.
    flushBatch(ctx, false);
    finished = true;
    releaseEarly();
    BlobStore.Upload unfinished = upload;
    Receive target = receiving;
    if (unfinished != null) {
      disk = disk.thenRunAsync(() -> {
        closeQuietly(unfinished);
        if (target.created() && !completed) {
          // A creating POST is all or nothing: its client starts over, so the slot would only hold quota.
          deleteQuietly(target.blob().id());
        }
      }, blocking);
    }
    return disk;
  }

  private void releaseEarly() {
    HttpContent content;
    while ((content = early.poll()) != null) {
      content.release();
    }
  }

  private void deleteQuietly(String id) {
    try {
      store.delete(id);
    } catch (IOException | RuntimeException e) {
      log.debug("deleting the slot of an unfinished POST failed; it expires instead", e);
    }
  }

  private void discard(Decision decision) {
    switch (decision) {
      case Receive receive -> blocking.execute(() -> {
        closeQuietly(receive.upload());
        if (receive.created()) {
          deleteQuietly(receive.blob().id());
        }
      });
      case Send send -> closeQuietly(send.bytes());
      case Answer answer -> {}
    }
  }

  private static void closeQuietly(java.io.Closeable closeable) {
    try {
      closeable.close();
    } catch (IOException e) {
      log.debug("closing after an abandoned blob transfer failed", e);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (ours) {
      finish(ctx);
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
    // A download reads nothing from the client for as long as it takes; only its writes time out.
    if (sending && event instanceof IdleStateEvent) {
      return;
    }
    ctx.fireUserEventTriggered(event);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (!ours) {
      ctx.fireExceptionCaught(cause);
      return;
    }
    log.debug("blob connection failed", cause);
    ctx.close();
  }
}
