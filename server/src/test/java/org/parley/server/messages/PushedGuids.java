package org.parley.server.messages;

import com.google.protobuf.ByteString;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import java.util.ArrayList;
import java.util.List;
import org.parley.protocol.wire.Frame;

/** What the delivery pump tests read back from their channel: the envelopes' guids pushed so far. */
final class PushedGuids {
  private PushedGuids() {}

  /** The guids of the envelopes written since the last call, in order (other frames are passed over). */
  static List<ByteString> take(EmbeddedChannel channel) throws Exception {
    List<ByteString> guids = new ArrayList<>();
    for (Object written; (written = channel.readOutbound()) != null; ) {
      if (!(written instanceof BinaryWebSocketFrame binary)) {
        continue; // QueueEmpty and other pushes the session writes as frames
      }
      ByteBuf content = binary.content();
      try {
        Frame frame = Frame.parseFrom(ByteBufUtil.getBytes(content));
        if (frame.getPush().hasEnvelope()) {
          guids.add(frame.getPush().getEnvelope().getGuid());
        }
      } finally {
        content.release();
      }
    }
    return guids;
  }
}
