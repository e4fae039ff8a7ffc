package org.parley.bench.xmpp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One XMPP client connection of the lean driver. Logging in is a short script of plain-text steps
 * (stream, optional in-band registration, SASL PLAIN, stream restart, bind, carbons, presence) that
 * waits for each answer by looking for its id, not by parsing XML. Once logged in, the connection
 * only scans what arrives for {@code <body>} and reads the "due:seq:" that the driver put at its
 * start; everything else (presence, carbons' wrapping) is skipped unread.
 *
 * <p>Every method runs on the connection's event loop.
 */
final class XmppLink extends ByteToMessageDecoder {
  /** What the driver does with each body that arrives: when it was due, and its message number. */
  interface Bodies {
    void arrived(long due, long seq);
  }

  private static final byte[] BODY = "<body".getBytes(StandardCharsets.US_ASCII);
  /** Longest "due:seq:" after the body tag: two longs and two colons, with room to spare. */
  private static final int HEADER_MAX = 48;

  private enum Step { STREAM, REGISTER, AUTH, RESTART, BIND, CARBONS, READY }

  private final String domain;
  private final String user;
  private final String password;
  private final String resource;
  private final boolean register;
  private final Bodies bodies;
  private final CompletableFuture<XmppLink> ready = new CompletableFuture<>();
  private final StringBuilder text = new StringBuilder();
  private Step step = Step.STREAM;
  private Channel channel;

  XmppLink(String domain, String user, String password, String resource, boolean register, Bodies bodies) {
    this.domain = domain;
    this.user = user;
    this.password = password;
    this.resource = resource;
    this.register = register;
    this.bodies = bodies;
  }

  CompletableFuture<XmppLink> ready() {
    return ready;
  }

  Channel channel() {
    return channel;
  }

  void failOpen(Throwable cause) {
    ready.completeExceptionally(cause);
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    channel = ctx.channel();
    openStream(ctx);
    super.channelActive(ctx);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    ready.completeExceptionally(new IllegalStateException(user + "/" + resource + ": the server closed the stream"
        + (step == Step.READY ? "" : " while logging in (" + step + "): " + text)));
    super.channelInactive(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ready.completeExceptionally(cause);
    ctx.close();
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (step == Step.READY) {
      scan(in);
      return;
    }
    text.append(in.readCharSequence(in.readableBytes(), StandardCharsets.UTF_8));
    loginStep(ctx);
  }

  private void openStream(ChannelHandlerContext ctx) {
    text.setLength(0);
    send(ctx, "<?xml version='1.0'?><stream:stream to='" + domain + "' xmlns='jabber:client'"
        + " xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>");
  }

  private void loginStep(ChannelHandlerContext ctx) {
    switch (step) {
      case STREAM -> {
        if (!featuresArrived()) {
          return;
        }
        if (register) {
          step = Step.REGISTER;
          sendAndForget(ctx, "<iq type='set' id='pb-reg'><query xmlns='jabber:iq:register'><username>" + user
              + "</username><password>" + password + "</password></query></iq>");
        } else {
          authenticate(ctx);
        }
      }
      case REGISTER -> {
        String answer = iqAnswer("pb-reg");
        if (answer == null) {
          return;
        }
        // "conflict": the account is there from an earlier run, which is as good.
        if (answer.contains("type='error'") || answer.contains("type=\"error\"")) {
          if (!answer.contains("conflict")) {
            fail("registration refused: " + answer);
            return;
          }
        }
        authenticate(ctx);
      }
      case AUTH -> {
        if (text.indexOf("<failure") >= 0) {
          fail("authentication refused: " + text);
        } else if (text.indexOf("<success") >= 0) {
          step = Step.RESTART;
          openStream(ctx);
        }
      }
      case RESTART -> {
        if (featuresArrived()) {
          step = Step.BIND;
          sendAndForget(ctx, "<iq type='set' id='pb-bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>"
              + resource + "</resource></bind></iq>");
        }
      }
      case BIND -> {
        String answer = iqAnswer("pb-bind");
        if (answer == null) {
          return;
        }
        if (!answer.contains("result")) {
          fail("resource binding refused: " + answer);
          return;
        }
        step = Step.CARBONS;
        sendAndForget(ctx, "<iq type='set' id='pb-carbons'><enable xmlns='urn:xmpp:carbons:2'/></iq>");
      }
      case CARBONS -> {
        String answer = iqAnswer("pb-carbons");
        if (answer == null) {
          return;
        }
        if (!answer.contains("result")) {
          fail("enabling carbons refused: " + answer);
          return;
        }
        // Available: a chat to the bare JID now reaches this resource.
        send(ctx, "<presence/>");
        step = Step.READY;
        text.setLength(0);
        ready.complete(this);
      }
      case READY -> throw new IllegalStateException("logged in already");
    }
  }

  private void authenticate(ChannelHandlerContext ctx) {
    step = Step.AUTH;
    String plain = "\0" + user + "\0" + password;
    sendAndForget(ctx, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
        + Base64.getEncoder().encodeToString(plain.getBytes(StandardCharsets.UTF_8)) + "</auth>");
  }

  private boolean featuresArrived() {
    return text.indexOf("</stream:features>") >= 0 || text.indexOf("<stream:features/>") >= 0;
  }

  /** The whole iq answering {@code id}, once it has arrived; null until then. */
  private String iqAnswer(String id) {
    int at = text.indexOf(id);
    if (at < 0) {
      return null;
    }
    int start = text.lastIndexOf("<iq", at);
    int tagEnd = text.indexOf(">", at);
    if (start < 0 || tagEnd < 0) {
      return null;
    }
    int end = text.charAt(tagEnd - 1) == '/' ? tagEnd + 1 : text.indexOf("</iq>", tagEnd);
    if (end < 0) {
      return null;
    }
    return text.substring(start, Math.max(end, tagEnd + 1));
  }

  private void sendAndForget(ChannelHandlerContext ctx, String xml) {
    text.setLength(0);
    send(ctx, xml);
  }

  private static void send(ChannelHandlerContext ctx, String xml) {
    ctx.writeAndFlush(ctx.alloc().buffer(xml.length()).writeBytes(xml.getBytes(StandardCharsets.UTF_8)));
  }

  private void fail(String why) {
    ready.completeExceptionally(new IllegalStateException(user + "/" + resource + ": " + why));
    channel.close();
  }

  /**
   * The hot path: finds each {@code <body ...>} and reads "due:seq:" after it. Leaves a body whose
   * header has not fully arrived in the buffer (the decoder keeps it for the next read), and drops
   * everything else.
   */
  private void scan(ByteBuf in) {
    while (true) {
      int body = indexOf(in, BODY, in.readerIndex());
      if (body < 0) {
        // Keep a tail that could be the start of a split "<body".
        in.readerIndex(Math.max(in.readerIndex(), in.writerIndex() - (BODY.length - 1)));
        return;
      }
      int limit = Math.min(in.writerIndex(), body + BODY.length + HEADER_MAX);
      int tagEnd = in.indexOf(body + BODY.length, limit, (byte) '>');
      int firstColon = tagEnd < 0 ? -1 : in.indexOf(tagEnd + 1, limit, (byte) ':');
      int secondColon = firstColon < 0 ? -1 : in.indexOf(firstColon + 1, limit, (byte) ':');
      if (secondColon < 0) {
        if (limit == in.writerIndex()) {
          in.readerIndex(body); // the header is still on its way
          return;
        }
        in.readerIndex(body + BODY.length); // a body that is not ours
        continue;
      }
      long due = parseLong(in, tagEnd + 1, firstColon);
      long seq = parseLong(in, firstColon + 1, secondColon);
      in.readerIndex(secondColon + 1);
      if (due != Long.MIN_VALUE && seq != Long.MIN_VALUE) {
        bodies.arrived(due, seq);
      }
    }
  }

  private static int indexOf(ByteBuf in, byte[] needle, int from) {
    int last = in.writerIndex() - needle.length;
    for (int i = in.indexOf(from, in.writerIndex(), needle[0]); i >= 0 && i <= last;
        i = in.indexOf(i + 1, in.writerIndex(), needle[0])) {
      boolean match = true;
      for (int k = 1; k < needle.length && match; k++) {
        match = in.getByte(i + k) == needle[k];
      }
      if (match) {
        return i;
      }
    }
    return -1;
  }

  /** A non-negative decimal between {@code from} and {@code to}; MIN_VALUE if it is not one. */
  private static long parseLong(ByteBuf in, int from, int to) {
    if (to <= from || to - from > 19) {
      return Long.MIN_VALUE;
    }
    long value = 0;
    for (int i = from; i < to; i++) {
      int digit = in.getByte(i) - '0';
      if (digit < 0 || digit > 9) {
        return Long.MIN_VALUE;
      }
      value = value * 10 + digit;
    }
    return value;
  }
}
