package org.parley.bench.xmpp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The lean driver's login script and its body scanner, against what ejabberd and Prosody send. */
class XmppLinkTest {
  private final List<long[]> arrived = new ArrayList<>();

  @Test
  void registersLogsInBindsAndEnablesCarbonsStepByStep() {
    XmppLink link = new XmppLink("localhost", "bench7", "pw", "d1", true, (due, seq) -> arrived.add(new long[] {due, seq}));
    EmbeddedChannel channel = new EmbeddedChannel(link);

    assertThat(sent(channel)).contains("<stream:stream to='localhost'");
    receive(channel, "<?xml version='1.0'?><stream:stream xmlns='jabber:client' id='1' from='localhost' version='1.0'>"
        + "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism>");
    assertThat(sent(channel)).as("waits for the end of the features").isEmpty();
    receive(channel, "</mechanisms></stream:features>");
    assertThat(sent(channel)).contains("jabber:iq:register", "<username>bench7</username>");
    // An account left from an earlier run is as good as a new one.
    receive(channel, "<iq type=\"error\" id=\"pb-reg\"><error type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
    assertThat(sent(channel)).contains("mechanism='PLAIN'", Base64.getEncoder().encodeToString("\0bench7\0pw".getBytes(StandardCharsets.UTF_8)));
    receive(channel, "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
    assertThat(sent(channel)).contains("<stream:stream");
    receive(channel, "<?xml version='1.0'?><stream:stream id='2' version='1.0'><stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>");
    assertThat(sent(channel)).contains("<resource>d1</resource>");
    receive(channel, "<iq type='result' id='pb-bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>bench7@localhost/d1</jid></bind></iq>");
    assertThat(sent(channel)).contains("urn:xmpp:carbons:2");
    assertThat(link.ready()).isNotDone();
    receive(channel, "<iq type='result' id='pb-carbons' to='bench7@localhost/d1'/>");
    assertThat(sent(channel)).isEqualTo("<presence/>");
    assertThat(link.ready()).isCompleted();
  }

  @Test
  void aRefusedLoginFailsWithTheServersWords() {
    XmppLink link = new XmppLink("localhost", "bench7", "wrong", "d0", false, (due, seq) -> {});
    EmbeddedChannel channel = new EmbeddedChannel(link);
    receive(channel, "<stream:stream version='1.0'><stream:features/>");
    receive(channel, "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>");

    assertThat(link.ready()).isCompletedExceptionally();
    assertThat(channel.isOpen()).isFalse();
  }

  @Test
  void findsEveryBodyWhereverTheReadsSplitIt() {
    EmbeddedChannel channel = loggedIn();
    String stream = "<presence from='bench1@localhost/d0'/>"
        + "<message type='chat' to='bench7@localhost'><body>1234567890123:41:xxxxxxxx</body></message>"
        + "<message to='bench7@localhost/d1'><sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>"
        + "<message type='chat' xml:lang='en'><body xml:lang='en'>99:42:xx</body></message></forwarded></sent></message>"
        + "<message><body>not a bench message</body></message>"
        + "<message><body>7:43:</body></message>";
    byte[] bytes = stream.getBytes(StandardCharsets.US_ASCII);
    // Every split point: one read up to it, one after it.
    for (int split = 0; split <= bytes.length; split++) {
      arrived.clear();
      channel.writeInbound(Unpooled.wrappedBuffer(bytes, 0, split));
      channel.writeInbound(Unpooled.wrappedBuffer(bytes, split, bytes.length - split));
      assertThat(arrived).as("split at %d", split)
          .containsExactly(new long[] {1234567890123L, 41}, new long[] {99, 42}, new long[] {7, 43});
    }
  }

  private EmbeddedChannel loggedIn() {
    XmppLink link = new XmppLink("localhost", "bench7", "pw", "d1", false, (due, seq) -> arrived.add(new long[] {due, seq}));
    EmbeddedChannel login = new EmbeddedChannel(link);
    receive(login, "<stream:stream><stream:features/>");
    receive(login, "<success/>");
    receive(login, "<stream:stream><stream:features/>");
    receive(login, "<iq type='result' id='pb-bind'/>");
    receive(login, "<iq type='result' id='pb-carbons'/>");
    assertThat(link.ready()).isCompleted();
    sent(login);
    return login;
  }

  private static void receive(EmbeddedChannel channel, String xml) {
    channel.writeInbound(Unpooled.copiedBuffer(xml, StandardCharsets.UTF_8));
  }

  private static String sent(EmbeddedChannel channel) {
    StringBuilder out = new StringBuilder();
    for (ByteBuf buf; (buf = channel.readOutbound()) != null; ) {
      out.append(buf.toString(StandardCharsets.UTF_8));
      buf.release();
    }
    return out.toString();
  }
}
