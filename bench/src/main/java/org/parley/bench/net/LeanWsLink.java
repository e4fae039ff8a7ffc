package org.parley.bench.net;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One device's WebSocket as the lean Parley driver holds it: the upgrade written and checked by
 * hand, then server frames cut out of the receive buffer and scanned in place ({@link
 * ServerFrames}), with no WebSocket or protobuf objects. Envelopes are acked as the full client
 * ({@link WsConnection}) acks them: once per read burst, every guid of the burst in one Ack, so the
 * server does the same work whichever driver runs.
 *
 * <p>Request ids: the driver's sends carry even ids (twice the message number, so an answer finds
 * its message without a map); this link's acks odd ones. Every method runs on the event loop.
 */
public final class LeanWsLink extends ByteToMessageDecoder implements ServerFrames.Sink {
  /** What the driver does with what arrives on a link. */
  public interface Listener {
    void envelope(LeanWsLink link, ByteBuf buffer, int contentAt, int contentLength);

    void response(LeanWsLink link, long id, int status, long envelopes);

    void queueEmpty(LeanWsLink link);

    /** The link closed (or never opened); {@code cause} says why. */
    void closed(LeanWsLink link, Throwable cause);
  }

  private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  private static final int MAX_UPGRADE_RESPONSE = 16 * 1024;
  private static final int MAX_FRAME = 16 * 1024 * 1024;

  private final int index;
  private final URI server;
  private final String authorization;
  private final ClientFrames frames;
  private final ServerFrames scanner;
  private final Listener listener;
  private final String key;
  private final CompletableFuture<LeanWsLink> opened = new CompletableFuture<>();
  private boolean upgraded;
  private ChannelHandlerContext context;
  private long ackIds = -1;
  /** The guids of this read burst, already as Ack.guids fields. */
  private byte[] acks = new byte[512];
  private int ackLength;
  /** How long after reading an envelope the device acks it (0: at the end of the read burst). */
  private long ackDelayNanos;
  /** A delayed ack is scheduled: what is read meanwhile goes in it too (one commit, one ack). */
  private boolean ackScheduled;

  /**
   * @param index the device's place in the driver's population (the listener's way to tell links apart)
   * @param server ws://HOST:PORT/PATH
   * @param authorization HTTP Basic credentials of the device
   * @param frames and {@code scanner}: the event loop's own (shared by its links)
   */
  public LeanWsLink(int index, URI server, String authorization, ClientFrames frames, ServerFrames scanner, Listener listener) {
    this.index = index;
    this.server = server;
    this.authorization = authorization;
    this.frames = frames;
    this.scanner = scanner;
    this.listener = listener;
    byte[] nonce = new byte[16];
    // A nonce the server echoes hashed; not a secret (Netty's client draws it the same way).
    java.util.concurrent.ThreadLocalRandom.current().nextBytes(nonce);
    this.key = Base64.getEncoder().encodeToString(nonce);
  }

  public int index() {
    return index;
  }

  /**
   * Acks {@code nanos} after the read burst instead of at its end, as a real device acks only after
   * its own commit (an fsync of about a millisecond): envelopes read meanwhile share the ack, as they
   * would share the device's commit. Set before the link opens.
   */
  public LeanWsLink ackDelay(long nanos) {
    this.ackDelayNanos = nanos;
    return this;
  }

  /** Completes once the upgrade is done and the hello ack is written. */
  public CompletableFuture<LeanWsLink> opened() {
    return opened;
  }

  /** The connect itself failed. */
  public void failOpen(Throwable cause) {
    opened.completeExceptionally(cause);
    listener.closed(this, cause);
  }

  /** Writes the frame {@code frames} has just finished. */
  public void write(ClientFrames finished) {
    int length = finished.end() - finished.start();
    // From this handler's context: straight to the socket (the link is the pipeline's only handler).
    context.writeAndFlush(context.alloc().directBuffer(length).writeBytes(finished.array(), finished.start(), length),
        context.voidPromise());
  }

  public void close() {
    if (context != null) {
      context.close();
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    context = ctx;
    String path = server.getRawPath() + (server.getRawQuery() == null ? "" : "?" + server.getRawQuery());
    String upgrade = "GET " + path + " HTTP/1.1\r\n"
        + "Host: " + server.getHost() + ":" + server.getPort() + "\r\n"
        + "Upgrade: websocket\r\n"
        + "Connection: Upgrade\r\n"
        + "Sec-WebSocket-Key: " + key + "\r\n"
        + "Sec-WebSocket-Version: 13\r\n"
        + (authorization == null ? "" : "Authorization: " + authorization + "\r\n")
        + "\r\n";
    ctx.writeAndFlush(ctx.alloc().buffer().writeBytes(upgrade.getBytes(StandardCharsets.US_ASCII)));
    super.channelActive(ctx);
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (!upgraded && !upgrade(ctx, in)) {
      return;
    }
    while (in.readableBytes() >= 2) {
      int at = in.readerIndex();
      int first = in.getUnsignedByte(at);
      int second = in.getUnsignedByte(at + 1);
      if ((second & 0x80) != 0) {
        throw new ServerFrames.MalformedFrameException("the server masked a frame");
      }
      long length = second & 0x7F;
      int header = 2;
      if (length == 126) {
        if (in.readableBytes() < 4) {
          return;
        }
        length = in.getUnsignedShort(at + 2);
        header = 4;
      } else if (length == 127) {
        if (in.readableBytes() < 10) {
          return;
        }
        length = in.getLong(at + 2);
        header = 10;
      }
      if (length < 0 || length > MAX_FRAME) {
        throw new ServerFrames.MalformedFrameException("a WebSocket frame of " + length + " bytes");
      }
      if (in.readableBytes() < header + length) {
        return;
      }
      int payload = at + header;
      int end = payload + (int) length;
      frame(ctx, first, in, payload, end);
      in.readerIndex(end);
    }
  }

  private void frame(ChannelHandlerContext ctx, int first, ByteBuf in, int payload, int end) {
    int opcode = first & 0x0F;
    boolean fin = (first & 0x80) != 0;
    if (opcode == ClientFrames.OP_BINARY && fin) {
      scanner.scan(in, payload, end, this);
    } else if (opcode == ClientFrames.OP_PING) {
      write(frames.begin(end - payload).bytes(in, payload, end - payload).finish(ClientFrames.OP_PONG));
    } else if (opcode == ClientFrames.OP_CLOSE) {
      write(frames.begin(0).finish(ClientFrames.OP_CLOSE));
      ctx.close();
    } else if (opcode != ClientFrames.OP_PONG) {
      // The server sends whole binary frames only; anything else means the two disagree.
      throw new ServerFrames.MalformedFrameException("a WebSocket frame with opcode " + opcode + (fin ? "" : ", fragmented"));
    }
  }

  /** Reads the upgrade response once it is whole; true when the link is open. */
  private boolean upgrade(ChannelHandlerContext ctx, ByteBuf in) {
    int end = -1;
    for (int i = in.readerIndex(); i + 3 < in.writerIndex(); i++) {
      if (in.getByte(i) == '\r' && in.getByte(i + 1) == '\n' && in.getByte(i + 2) == '\r' && in.getByte(i + 3) == '\n') {
        end = i + 4;
        break;
      }
    }
    if (end < 0) {
      if (in.readableBytes() > MAX_UPGRADE_RESPONSE) {
        throw new ServerFrames.MalformedFrameException("an upgrade response of more than " + MAX_UPGRADE_RESPONSE + " bytes");
      }
      return false;
    }
    String response = in.toString(in.readerIndex(), end - in.readerIndex(), StandardCharsets.ISO_8859_1);
    in.readerIndex(end);
    String status = response.substring(0, response.indexOf('\r'));
    if (!status.startsWith("HTTP/1.1 101")) {
      throw new UpgradeRefusedException(server + ": the server refused the WebSocket upgrade: " + status);
    }
    if (!response.toLowerCase(java.util.Locale.ROOT).contains("sec-websocket-accept: " + accept(key).toLowerCase(java.util.Locale.ROOT))) {
      throw new UpgradeRefusedException(server + ": the upgrade response does not accept this connection's key");
    }
    upgraded = true;
    // The server pushes nothing before the client's first frame: an empty ack says hello (as WsConnection).
    writeAck(ctx);
    opened.complete(this);
    return true;
  }

  static String accept(String key) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-1").digest((key + ACCEPT_GUID).getBytes(StandardCharsets.US_ASCII));
      return Base64.getEncoder().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void envelope(ByteBuf buffer, int guidAt, int guidLength, int contentAt, int contentLength) {
    int room = ClientFrames.fieldSize(ClientFrames.ACK_GUIDS, guidLength);
    if (acks.length < ackLength + room) {
      acks = java.util.Arrays.copyOf(acks, Math.max(acks.length * 2, ackLength + room));
    }
    acks[ackLength++] = ClientFrames.ACK_GUIDS;
    ackLength = ClientFrames.putVarint(acks, ackLength, guidLength);
    buffer.getBytes(guidAt, acks, ackLength, guidLength);
    ackLength += guidLength;
    listener.envelope(this, buffer, contentAt, contentLength);
  }

  @Override
  public void response(long id, int status, long envelopes) {
    listener.response(this, id, status, envelopes);
  }

  @Override
  public void queueEmpty() {
    listener.queueEmpty(this);
  }

  @Override
  public void otherPush(int field) {}

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
    if (ackLength > 0 && ackDelayNanos <= 0) {
      writeAck(ctx);
    } else if (ackLength > 0 && !ackScheduled) {
      ackScheduled = true;
      ctx.executor().schedule(() -> {
        ackScheduled = false;
        if (ackLength > 0 && ctx.channel().isActive()) {
          writeAck(ctx);
        }
      }, ackDelayNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }
    super.channelReadComplete(ctx);
  }

  /** Frame{request{id, ack{guids of this burst}}}, as protobuf-java writes it. */
  private void writeAck(ChannelHandlerContext ctx) {
    long id = ackIds += 2;
    int request = 1 + ClientFrames.varintSize(id) + ClientFrames.fieldSize(ClientFrames.REQUEST_ACK, ackLength);
    frames.begin(ClientFrames.fieldSize(ClientFrames.FRAME_REQUEST, request))
        .varint(ClientFrames.FRAME_REQUEST).varint(request)
        .varint(ClientFrames.REQUEST_ID).varint(id)
        .varint(ClientFrames.REQUEST_ACK).varint(ackLength)
        .bytes(acks, 0, ackLength);
    ackLength = 0;
    write(frames.finish());
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    IOException gone = new IOException(server + ": the server closed the connection");
    opened.completeExceptionally(gone);
    listener.closed(this, gone);
    super.channelInactive(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    Throwable why = cause instanceof io.netty.handler.codec.DecoderException && cause.getCause() != null ? cause.getCause() : cause;
    opened.completeExceptionally(why);
    ctx.close();
  }

  /** The server answered the upgrade with something other than 101 Switching Protocols. */
  public static final class UpgradeRefusedException extends RuntimeException {
    UpgradeRefusedException(String message) {
      super(message, null, false, false);
    }
  }
}
