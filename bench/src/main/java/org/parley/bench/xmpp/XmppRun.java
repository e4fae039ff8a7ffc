package org.parley.bench.xmpp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.parley.bench.report.MeasuredWindow;
import org.parley.bench.report.OpenLoop;
import org.parley.bench.report.Result;
import org.parley.bench.server.ProcessStats;

/**
 * The relay workload over XMPP, measured like {@code RelayRun}: a random resource of a random user
 * sends a chat message to another user's bare JID; latency runs from when the message was due to
 * when each receiving resource (the recipient's resources, the sender's other resources through
 * carbons) read it. XMPP has no "stored" answer, so a closed loop counts a message done when every
 * copy has arrived.
 *
 * <p>Stanzas are prebuilt: per recipient the bytes up to the body, then "due:seq:" and padding.
 * Everything runs on the client's one event loop, so the bookkeeping is plain fields and arrays.
 */
final class XmppRun implements XmppLink.Bodies {
  /** Messages that may be outstanding at once (open loop backlog included); a power of two. */
  private static final int SLOTS = 1 << 22;

  private final EventLoop loop;
  private final int payload;
  private final double rate;
  private final int inFlight;
  private final int copiesPerMessage;
  private final byte[][] openTo;
  private final byte[] close = "</body></message>".getBytes(StandardCharsets.US_ASCII);
  private final byte[] padding;
  private List<List<XmppLink>> users;

  private volatile long measureStart = Long.MAX_VALUE;
  private volatile long measureEnd = Long.MAX_VALUE;
  private volatile boolean stopping;

  // Event loop only.
  private final SplittableRandom random = new SplittableRandom();
  private final Histogram delivery = new Histogram(TimeUnit.MINUTES.toMicros(5), 3);
  /** Copies still to arrive, by message number; negative for messages outside the window. */
  private final int[] left = new int[SLOTS];
  private long sequence;
  private long messagesSent;
  private long copiesDelivered;
  private long messagesDelivered;
  private long strays;
  private volatile long measuredOutstanding;

  XmppRun(EventLoop loop, int userCount, int devices, String domain, String prefix, int payload, double rate, int inFlight) {
    this.loop = loop;
    this.payload = payload;
    this.rate = rate;
    this.inFlight = inFlight;
    this.copiesPerMessage = 2 * devices - 1;
    this.openTo = new byte[userCount][];
    for (int u = 0; u < userCount; u++) {
      openTo[u] = ("<message type='chat' to='" + prefix + u + "@" + domain + "'><body>").getBytes(StandardCharsets.US_ASCII);
    }
    this.padding = new byte[payload];
    Arrays.fill(padding, (byte) 'x');
  }

  void attach(List<List<XmppLink>> connected) {
    this.users = connected;
  }

  Result run(ProcessStats server, double warmupSeconds, double durationSeconds) throws Exception {
    MeasuredWindow window = new MeasuredWindow(warmupSeconds, durationSeconds);
    measureStart = window.start();
    measureEnd = window.end();
    Thread pacer = OpenLoop.startOn(loop, rate, inFlight, measureEnd, () -> stopping, this::send);
    window.pass(server);
    stopping = true;
    if (pacer != null) {
      pacer.join();
    }
    MeasuredWindow.settle(() -> measuredOutstanding > 0);
    Result result = loop.submit(() -> result(durationSeconds)).get();
    window.report(result, server);
    return result;
  }

  private Result result(double durationSeconds) {
    Result result = new Result("xmpp");
    result.put("driver", "lean (Netty, one event loop, prebuilt stanzas, no XML parser)");
    result.put("users", users.size());
    result.put("devices_per_user", users.get(0).size());
    result.put("connected_devices", users.size() * users.get(0).size());
    result.put("envelopes_per_message", copiesPerMessage);
    result.put("payload_bytes", payload);
    result.put("load", rate > 0 ? "open loop, " + rate + " messages/s" : "closed loop, " + inFlight + " messages in flight until delivered to every device");
    result.put("duration_s", durationSeconds);
    result.put("messages_sent", messagesSent);
    result.put("messages_delivered_per_s", Result.round(messagesDelivered / durationSeconds));
    result.put("envelopes_delivered_per_s", Result.round(copiesDelivered / durationSeconds));
    result.put("messages_not_fully_delivered", messagesSent - messagesDelivered);
    result.put("bodies_not_ours", strays);
    result.latency("submit_to_delivered_ms", delivery);
    return result;
  }

  /** Sends one message; {@code due} is when it was meant to go (latency counts from there). */
  private void send(long due) {
    int from = random.nextInt(users.size());
    int to = random.nextInt(users.size() - 1);
    if (to >= from) {
      to++;
    }
    List<XmppLink> resources = users.get(from);
    Channel channel = resources.get(random.nextInt(resources.size())).channel();
    long seq = ++sequence;
    boolean measured = due >= measureStart && due < measureEnd;
    int slot = (int) (seq & (SLOTS - 1));
    left[slot] = measured ? copiesPerMessage : -copiesPerMessage;
    if (measured) {
      messagesSent++;
      measuredOutstanding++;
    }
    byte[] header = (due + ":" + seq + ":").getBytes(StandardCharsets.US_ASCII);
    ByteBuf stanza = channel.alloc().buffer(openTo[to].length + payload + close.length);
    stanza.writeBytes(openTo[to]).writeBytes(header);
    stanza.writeBytes(padding, 0, Math.max(0, payload - header.length)).writeBytes(close);
    channel.writeAndFlush(stanza, channel.voidPromise());
  }

  @Override
  public void arrived(long due, long seq) {
    long now = System.nanoTime();
    boolean measured = due >= measureStart && due < measureEnd;
    if (measured) {
      copiesDelivered++;
      delivery.recordValue(Math.min(delivery.getHighestTrackableValue(), Math.max(0, (now - due) / 1000)));
    }
    int slot = (int) (seq & (SLOTS - 1));
    if (seq > sequence || left[slot] == 0) {
      strays++;
      return;
    }
    int remaining = measured ? --left[slot] : ++left[slot];
    if (remaining == 0) {
      if (measured) {
        messagesDelivered++;
        measuredOutstanding--;
      }
      if (rate <= 0 && !stopping && now < measureEnd) {
        send(now);
      }
    }
  }
}
