package org.parley.bench.net;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.parley.protocol.wire.Ack;
import org.parley.protocol.wire.Frame;
import org.parley.protocol.wire.Push;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.Status;

/**
 * One device's WebSocket as the bench drives it: requests matched to responses by id, pushes handed
 * to a listener on the event loop, and envelopes acked the way a device acks them (once per read
 * burst, all guids of the burst in one Ack).
 */
public final class WsConnection {
  private final Consumer<Push> pushes;
  private final CompletableFuture<WsConnection> opened = new CompletableFuture<>();
  private final CompletableFuture<Void> closed = new CompletableFuture<>();
  private final Map<Long, CompletableFuture<Response>> pending = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  /** Touched on the event loop only. */
  private final List<ByteString> unacked = new ArrayList<>();
  private volatile boolean autoAck = true;
  private volatile Channel channel;

  WsConnection(Consumer<Push> pushes) {
    this.pushes = pushes;
  }

  CompletableFuture<WsConnection> opened() {
    return opened;
  }

  /** Completes when the socket has closed, from either side. */
  public CompletableFuture<Void> closed() {
    return closed;
  }

  /** Whether received envelopes are acked (default); off to leave them queued on the server. */
  public void autoAck(boolean value) {
    this.autoAck = value;
  }

  public boolean isOpen() {
    return channel != null && channel.isActive();
  }

  /** Sends a request; the future completes with the response, whatever its status. */
  public CompletableFuture<Response> request(Request.Builder request) {
    long id = ids.incrementAndGet();
    CompletableFuture<Response> answer = new CompletableFuture<>();
    pending.put(id, answer);
    Channel ch = channel;
    if (ch == null || !ch.isActive()) {
      pending.remove(id);
      answer.completeExceptionally(new IOException("the connection is closed"));
      return answer;
    }
    write(ch, Frame.newBuilder().setRequest(request.setId(id)).build());
    return answer;
  }

  /** Sends a request and fails the future unless the server answered OK. */
  public CompletableFuture<Response> call(Request.Builder request) {
    return request(request)
        .thenApply(
            response -> {
              if (response.getStatus() != Status.OK) {
                throw new RefusedException(response);
              }
              return response;
            });
  }

  public void close() {
    Channel ch = channel;
    if (ch != null && ch.isActive()) {
      ch.writeAndFlush(new CloseWebSocketFrame()).addListener(f -> ch.close());
    }
  }

  /** Drops the socket without a close handshake (a device that vanished). */
  public void abort() {
    Channel ch = channel;
    if (ch != null) {
      ch.close();
    }
  }

  private static void write(Channel ch, Frame frame) {
    ch.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(frame.toByteArray())));
  }

  void failOpen(Throwable cause) {
    opened.completeExceptionally(cause);
    closed.complete(null);
  }

  ChannelInboundHandlerAdapter handler() {
    return new Handler();
  }

  /** A request the server refused; the response says why. */
  public static final class RefusedException extends RuntimeException {
    private final transient Response response;

    RefusedException(Response response) {
      super(response.getStatus() + ": " + response.getMessage(), null, false, false);
      this.response = response;
    }

    public Response response() {
      return response;
    }
  }

  private final class Handler extends ChannelInboundHandlerAdapter {
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      channel = ctx.channel();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt == ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
        // The server pushes nothing before the client's first frame: an empty ack says hello.
        write(ctx.channel(), Frame.newBuilder()
            .setRequest(Request.newBuilder().setId(ids.incrementAndGet()).setAck(org.parley.protocol.wire.Ack.getDefaultInstance()))
            .build());
        opened.complete(WsConnection.this);
      } else if (evt == ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
        opened.completeExceptionally(new IOException("the WebSocket upgrade timed out"));
      }
      ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof BinaryWebSocketFrame binary) {
          Frame frame;
          try (ByteBufInputStream in = new ByteBufInputStream(binary.content())) {
            frame = Frame.parseFrom(in);
          } catch (InvalidProtocolBufferException e) {
            return;
          } catch (IOException e) {
            return;
          }
          onFrame(frame);
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    private void onFrame(Frame frame) {
      switch (frame.getKindCase()) {
        case RESPONSE -> {
          CompletableFuture<Response> answer = pending.remove(frame.getResponse().getId());
          if (answer != null) {
            answer.complete(frame.getResponse());
          }
        }
        case PUSH -> {
          Push push = frame.getPush();
          if (push.hasEnvelope() && autoAck) {
            unacked.add(push.getEnvelope().getGuid());
          }
          pushes.accept(push);
        }
        default -> {}
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      if (!unacked.isEmpty()) {
        Ack ack = Ack.newBuilder().addAllGuids(unacked).build();
        unacked.clear();
        write(ctx.channel(), Frame.newBuilder().setRequest(Request.newBuilder().setId(ids.incrementAndGet()).setAck(ack)).build());
      }
      ctx.fireChannelReadComplete();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      IOException gone = new IOException("the server closed the connection");
      opened.completeExceptionally(gone);
      pending.values().forEach(answer -> answer.completeExceptionally(gone));
      pending.clear();
      closed.complete(null);
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      opened.completeExceptionally(cause);
      ctx.close();
    }
  }
}
