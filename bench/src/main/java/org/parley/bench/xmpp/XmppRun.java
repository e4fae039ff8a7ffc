package org.parley.bench.xmpp;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;
import org.jivesoftware.smack.filter.StanzaTypeFilter;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.Stanza;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.carbons.packet.CarbonExtension;
import org.jxmpp.jid.EntityBareJid;
import org.jxmpp.jid.impl.JidCreate;
import org.parley.bench.report.OpenLoop;
import org.parley.bench.report.Result;
import org.parley.bench.server.ProcessStats;

/**
 * The relay workload over XMPP, measured like {@code RelayRun}: a random resource of a random user
 * sends a chat message to another user's bare JID; latency runs from when the message was due to
 * when each receiving resource (the recipient's resources, the sender's other resources through
 * carbons) read it. XMPP has no "stored" answer, so a closed loop counts a message done when every
 * copy has arrived.
 */
final class XmppRun {
  private final List<List<XMPPTCPConnection>> users;
  private final List<EntityBareJid> jids;
  private final int payload;
  private final double rate;
  private final int inFlight;
  private final int copiesPerMessage;
  private final String padding;

  private volatile long measureStart = Long.MAX_VALUE;
  private volatile long measureEnd = Long.MAX_VALUE;
  private volatile boolean stopping;

  private final ConcurrentHistogram delivery = new ConcurrentHistogram(3);
  private final Map<Long, AtomicInteger> undelivered = new ConcurrentHashMap<>();
  private final AtomicLong sequence = new AtomicLong();
  private final LongAdder messagesSent = new LongAdder();
  private final LongAdder copiesDelivered = new LongAdder();
  private final LongAdder messagesDelivered = new LongAdder();
  private final LongAdder sendFailures = new LongAdder();
  private final ExecutorService sender = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().name("xmpp-sender").unstarted(r));

  XmppRun(List<List<XMPPTCPConnection>> users, String domain, String prefix, int payload, double rate, int inFlight)
      throws Exception {
    this.users = users;
    this.jids = new java.util.ArrayList<>();
    for (int u = 0; u < users.size(); u++) {
      jids.add(JidCreate.entityBareFrom(prefix + u + "@" + domain));
    }
    this.payload = payload;
    this.rate = rate;
    this.inFlight = inFlight;
    this.copiesPerMessage = 2 * users.get(0).size() - 1;
    this.padding = "x".repeat(payload);
  }

  Result run(ProcessStats server, double warmupSeconds, double durationSeconds) throws InterruptedException {
    for (List<XMPPTCPConnection> user : users) {
      for (XMPPTCPConnection connection : user) {
        connection.addSyncStanzaListener(this::onStanza, StanzaTypeFilter.MESSAGE);
      }
    }
    ProcessStats self = new ProcessStats(ProcessHandle.current().pid());
    long start = System.nanoTime();
    measureStart = start + (long) (warmupSeconds * 1e9);
    measureEnd = measureStart + (long) (durationSeconds * 1e9);
    Thread driver = null;
    if (rate > 0) {
      driver = Thread.ofPlatform().name("open-loop").start(this::openLoop);
    } else {
      for (int i = 0; i < inFlight; i++) {
        sender.execute(() -> send(System.nanoTime()));
      }
    }
    sleepUntil(measureStart);
    long serverCpu0 = server.cpuMillis();
    long clientCpu0 = self.cpuMillis();
    sleepUntil(measureEnd);
    long serverCpu1 = server.cpuMillis();
    long clientCpu1 = self.cpuMillis();
    stopping = true;
    if (driver != null) {
      driver.join();
    }
    long settleBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (undelivered.values().stream().anyMatch(left -> left.get() > 0) && System.nanoTime() < settleBy) {
      Thread.sleep(20);
    }
    sender.shutdownNow();

    Result result = new Result("xmpp");
    result.put("users", users.size());
    result.put("devices_per_user", users.get(0).size());
    result.put("connected_devices", users.size() * users.get(0).size());
    result.put("envelopes_per_message", copiesPerMessage);
    result.put("payload_bytes", payload);
    result.put("load", rate > 0 ? "open loop, " + rate + " messages/s" : "closed loop, " + inFlight + " messages in flight until delivered to every device");
    result.put("duration_s", durationSeconds);
    result.put("messages_sent", messagesSent.sum());
    result.put("messages_delivered_per_s", round(messagesDelivered.sum() / durationSeconds));
    result.put("envelopes_delivered_per_s", round(copiesDelivered.sum() / durationSeconds));
    result.put("messages_not_fully_delivered", messagesSent.sum() - messagesDelivered.sum());
    Map<String, Long> errors = new TreeMap<>();
    if (sendFailures.sum() > 0) {
      errors.put("send", sendFailures.sum());
    }
    result.put("errors", errors);
    result.latency("submit_to_delivered_ms", delivery);
    long windowMs = (long) (durationSeconds * 1000);
    result.put("server_cpu_pct", serverCpu0 < 0 ? null : round(100.0 * (serverCpu1 - serverCpu0) / windowMs));
    result.put("server_peak_rss_mb", server.peakRssBytes() < 0 ? null : server.peakRssBytes() >> 20);
    result.put("client_cpu_pct", round(100.0 * (clientCpu1 - clientCpu0) / windowMs));
    return result;
  }

  private void openLoop() {
    OpenLoop.run(rate, measureEnd, () -> stopping, this::send);
  }

  private void send(long due) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    int from = random.nextInt(users.size());
    int to = random.nextInt(users.size() - 1);
    if (to >= from) {
      to++;
    }
    List<XMPPTCPConnection> resources = users.get(from);
    XMPPTCPConnection connection = resources.get(random.nextInt(resources.size()));
    long seq = sequence.incrementAndGet();
    boolean measured = due >= measureStart && due < measureEnd;
    if (measured) {
      messagesSent.increment();
    }
    undelivered.put(seq, new AtomicInteger(measured ? copiesPerMessage : -copiesPerMessage));
    String header = due + ":" + seq + ":";
    String body = header + padding.substring(0, Math.max(0, payload - header.length()));
    Message message =
        connection.getStanzaFactory().buildMessageStanza().to(jids.get(to)).ofType(Message.Type.chat).setBody(body).build();
    try {
      connection.sendStanza(message);
    } catch (Exception e) {
      sendFailures.increment();
      undelivered.remove(seq);
    }
  }

  private void onStanza(Stanza stanza) {
    long now = System.nanoTime();
    Message message = (Message) stanza;
    CarbonExtension carbon = CarbonExtension.from(message);
    if (carbon != null && carbon.getForwarded().getForwardedStanza() instanceof Message copied) {
      message = copied;
    }
    String body = message.getBody();
    if (body == null) {
      return;
    }
    int first = body.indexOf(':');
    int second = body.indexOf(':', first + 1);
    if (first < 0 || second < 0) {
      return;
    }
    long due;
    long seq;
    try {
      due = Long.parseLong(body, 0, first, 10);
      seq = Long.parseLong(body, first + 1, second, 10);
    } catch (NumberFormatException e) {
      return;
    }
    boolean measured = due >= measureStart && due < measureEnd;
    if (measured) {
      copiesDelivered.increment();
      delivery.recordValue(Math.max(0, (now - due) / 1000));
    }
    AtomicInteger left = undelivered.get(seq);
    if (left == null) {
      return;
    }
    int remaining = measured ? left.decrementAndGet() : left.incrementAndGet();
    if (remaining == 0) {
      undelivered.remove(seq);
      if (measured) {
        messagesDelivered.increment();
      }
      if (rate <= 0 && !stopping && now < measureEnd) {
        sender.execute(() -> send(System.nanoTime()));
      }
    }
  }

  private static void sleepUntil(long nanoTime) throws InterruptedException {
    long left;
    while ((left = nanoTime - System.nanoTime()) > 0) {
      TimeUnit.NANOSECONDS.sleep(Math.min(left, 100_000_000));
    }
  }

  private static double round(double value) {
    return Math.round(value * 10) / 10.0;
  }
}
