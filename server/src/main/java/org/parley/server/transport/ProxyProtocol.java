package org.parley.server.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.ProtocolDetectionResult;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * The PROXY protocol (v1 or v2) on connections from a trusted proxy: when the first bytes are a
 * PROXY header, the client address it names becomes the connection's; otherwise the bytes go on
 * as they came (a trusted proxy may also speak plain HTTP and use X-Forwarded-For).
 */
final class ProxyProtocol extends ByteToMessageDecoder {
  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    ProtocolDetectionResult<HAProxyProtocolVersion> detected = HAProxyMessageDecoder.detectProtocol(in);
    switch (detected.state()) {
      case NEEDS_MORE_DATA -> {}
      case INVALID -> ctx.pipeline().remove(this);
      case DETECTED -> {
        ctx.pipeline().addAfter(ctx.name(), "proxy-header", new HAProxyMessageDecoder());
        ctx.pipeline().addAfter("proxy-header", "proxy-client", new ClientFromHeader());
        ctx.pipeline().remove(this);
      }
    }
  }

  /** Takes the decoded header: the client address it names, then steps aside. */
  private static final class ClientFromHeader extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!(msg instanceof HAProxyMessage header)) {
        ctx.fireChannelRead(msg);
        return;
      }
      try {
        ctx.pipeline().remove(this);
        if (header.command() == HAProxyCommand.PROXY && header.sourceAddress() != null) {
          byte[] bytes = NetUtil.createByteArrayFromIpAddressString(header.sourceAddress());
          if (bytes != null && !ConnectionGuard.clientIs(ctx.channel(), InetAddress.getByAddress(bytes))) {
            ctx.close();
          }
        }
      } catch (UnknownHostException e) {
        ctx.close();
      } finally {
        ReferenceCountUtil.release(header);
      }
    }
  }
}
