package org.parley.server.transport;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.IOException;
import java.util.List;
import org.parley.protocol.wire.Frame;

/**
 * Binary WebSocket messages to and from protocol Frames. A message that is not a Frame becomes a
 * {@link MalformedFrame} so the connection can answer it instead of dying.
 */
@ChannelHandler.Sharable
public final class FrameCodec extends MessageToMessageCodec<WebSocketFrame, Frame> {
  /** What arrived instead of a valid frame, and why it was refused. */
  public record MalformedFrame(String reason) {}

  @Override
  protected void encode(ChannelHandlerContext ctx, Frame frame, List<Object> out) throws IOException {
    int size = frame.getSerializedSize();
    ByteBuf buffer = ctx.alloc().buffer(size, size);
    try {
      // Straight into the buffer's memory: through a stream, protobuf would fill an array of its own
      // first and the stream copy it over.
      CodedOutputStream stream = CodedOutputStream.newInstance(buffer.internalNioBuffer(0, size));
      frame.writeTo(stream);
      stream.checkNoSpaceLeft();
      buffer.writerIndex(size);
    } catch (IOException | RuntimeException e) {
      buffer.release();
      throw e;
    }
    out.add(new BinaryWebSocketFrame(buffer));
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, WebSocketFrame message, List<Object> out)
      throws IOException {
    if (!(message instanceof BinaryWebSocketFrame)) {
      out.add(new MalformedFrame("only binary frames carry requests"));
      return;
    }
    try {
      // Straight from the buffer: a stream would allocate and fill a 4 KB copy buffer per frame.
      // The parser copies what it keeps (no aliasing), so nothing refers to the buffer afterwards.
      out.add(Frame.parseFrom(message.content().nioBuffer()));
    } catch (InvalidProtocolBufferException e) {
      out.add(new MalformedFrame("not a valid frame: " + e.getMessage()));
    }
  }
}
