package org.parley.bench.modes;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import org.parley.bench.net.WsClient;
import org.parley.bench.net.WsConnection;
import org.parley.bench.population.BenchDevice;
import org.parley.bench.population.BenchUser;
import org.parley.bench.report.MeasuredWindow;
import org.parley.bench.report.OpenLoop;
import org.parley.bench.report.Result;
import org.parley.bench.server.ServerHandle;
import org.parley.protocol.wire.CiphertextType;
import org.parley.protocol.wire.OutgoingMessage;
import org.parley.protocol.wire.Push;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.SendMessage;
import org.parley.protocol.wire.Status;

/**
 * One relay measurement: every device of every user holds its receiving connection; a sender (a
 * random device of a random user) sends one message to another random user, i.e. one envelope for
 * each of the recipient's devices and one for each of the sender's other devices, in one request,
 * from its own connection. Every device acks what it receives.
 *
 * <p>Payloads are pre-encrypted: random bytes of the chosen size, the same for each envelope of a
 * message, with the send time and a message number in their first 16 bytes. The relay cannot tell
 * (it never reads ciphertext), and the bench's CPU stays for the load.
 *
 * <p>Latency runs from the moment a send was due (open loop) or issued (closed loop) to the moment
 * each receiving device's connection read the envelope; the submit latency to the "sent" answer,
 * which the server gives only after the commit. Only messages due inside the measured window count.
 */
final class RelayRun {
  private static final int HEADER = 16;

  private final List<BenchUser> users;
  private final int payloadBytes;
  private final double rate;
  private final int inFlight;
  private final long maxOutstanding;

  private List<List<WsConnection>> connections;
  private ByteString padding;
  private volatile long measureStart = Long.MAX_VALUE;
  private volatile long measureEnd = Long.MAX_VALUE;
  private volatile boolean stopping;

  private final ConcurrentHistogram delivery = new ConcurrentHistogram(3);
  private final ConcurrentHistogram submit = new ConcurrentHistogram(3);
  /** Envelopes still to arrive, per message number; negative counts mark unmeasured messages. */
  private final Map<Long, AtomicInteger> undelivered = new ConcurrentHashMap<>();
  private final boolean completeOnDelivery;
  private final AtomicLong sequence = new AtomicLong();
  private final LongAdder outstanding = new LongAdder();
  private final LongAdder messagesSent = new LongAdder();
  private final LongAdder messagesCommitted = new LongAdder();
  private final LongAdder envelopesCommitted = new LongAdder();
  private final LongAdder envelopesDelivered = new LongAdder();
  private final LongAdder messagesDelivered = new LongAdder();
  private final LongAdder skipped = new LongAdder();
  private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();

  /**
   * @param rate messages per second (open loop), or 0 for closed loop with {@code inFlight} sends
   *     outstanding at all times
   * @param completeOnDelivery closed loop: a send is done when its last envelope arrived (as the
   *     XMPP driver must count, having no "sent" answer) instead of when the server answered
   */
  RelayRun(
      List<BenchUser> users, int payloadBytes, double rate, int inFlight, long maxOutstanding, boolean completeOnDelivery) {
    if (users.size() < 2) {
      throw new IllegalArgumentException("the relay mode needs at least 2 users");
    }
    this.users = users;
    this.payloadBytes = Math.max(HEADER, payloadBytes);
    this.rate = rate;
    this.inFlight = inFlight;
    this.maxOutstanding = maxOutstanding;
    this.completeOnDelivery = completeOnDelivery;
  }

  Result run(ServerHandle server, WsClient client, double warmupSeconds, double durationSeconds, int connectParallel)
      throws InterruptedException {
    byte[] random = new byte[payloadBytes - HEADER];
    ThreadLocalRandom.current().nextBytes(random);
    padding = ByteString.copyFrom(random);

    List<BenchDevice> devices = new ArrayList<>();
    users.forEach(u -> devices.addAll(u.devices()));
    CountDownLatch ready = new CountDownLatch(devices.size());
    List<WsConnection> flat =
        Connector.connectAll(client, devices, true, i -> push -> onPush(push, ready), connectParallel);
    if (!ready.await(120, TimeUnit.SECONDS)) {
      throw new IllegalStateException("not every device got its queue-empty signal within 120 s");
    }
    connections = new ArrayList<>();
    int k = 0;
    for (BenchUser user : users) {
      connections.add(flat.subList(k, k + user.devices().size()));
      k += user.devices().size();
    }

    MeasuredWindow window = new MeasuredWindow(warmupSeconds, durationSeconds);
    measureStart = window.start();
    measureEnd = window.end();
    Thread driver = rate > 0 ? Thread.ofPlatform().name("open-loop").start(this::openLoop) : null;
    if (rate <= 0) {
      for (int i = 0; i < inFlight; i++) {
        send(System.nanoTime());
      }
    }
    window.pass(server.stats());
    stopping = true;
    if (driver != null) {
      driver.join();
    }
    MeasuredWindow.settle(() -> outstanding.sum() > 0 || measuredUndelivered());

    Result result = new Result("relay");
    result.put("driver", "full (the bench's Java client: Netty WebSocket codec, protobuf messages)");
    result.put("users", users.size());
    result.put("devices_per_user", users.get(0).devices().size());
    result.put("connected_devices", devices.size());
    result.put("envelopes_per_message", 2 * users.get(0).devices().size() - 1);
    result.put("payload_bytes", payloadBytes);
    result.put("payload", "pre-encrypted (random bytes; the relay never reads them)");
    result.put("load", load(rate, inFlight, completeOnDelivery));
    result.put("duration_s", durationSeconds);
    result.put("messages_sent", messagesSent.sum());
    result.put("messages_committed", messagesCommitted.sum());
    result.put("envelopes_committed", envelopesCommitted.sum());
    result.put("envelopes_committed_per_s", Result.round(envelopesCommitted.sum() / durationSeconds));
    result.put("messages_delivered_per_s", Result.round(messagesDelivered.sum() / durationSeconds));
    result.put("envelopes_delivered_per_s", Result.round(envelopesDelivered.sum() / durationSeconds));
    result.put("envelopes_lost", envelopesCommitted.sum() - envelopesDelivered.sum());
    result.put("sends_skipped_backlog", skipped.sum());
    Map<String, Long> errorCounts = new TreeMap<>();
    errors.forEach((status, count) -> errorCounts.put(status, count.sum()));
    result.put("errors", errorCounts);
    result.latency("submit_to_sent_ms", submit);
    result.latency("submit_to_delivered_ms", delivery);
    window.report(result, server.stats());
    flat.forEach(WsConnection::close);
    return result;
  }

  private void openLoop() {
    OpenLoop.run(rate, measureEnd, () -> stopping, due -> {
      if (outstanding.sum() >= maxOutstanding) {
        skipped.increment();
      } else {
        send(due);
      }
    });
  }

  /** Sends one message; {@code due} is when it was meant to go (latency counts from there). */
  private void send(long due) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    int from = random.nextInt(users.size());
    int to = random.nextInt(users.size() - 1);
    if (to >= from) {
      to++;
    }
    BenchUser sender = users.get(from);
    int senderDevice = random.nextInt(sender.devices().size());
    long seq = sequence.incrementAndGet();
    ByteString content = header(due, seq).concat(padding);
    SendMessage.Builder message = SendMessage.newBuilder().setTimestamp(System.currentTimeMillis());
    for (BenchDevice device : users.get(to).devices()) {
      message.addMessages(envelope(device, content));
    }
    for (int d = 0; d < sender.devices().size(); d++) {
      if (d != senderDevice) {
        message.addMessages(envelope(sender.devices().get(d), content));
      }
    }
    boolean measured = due >= measureStart && due < measureEnd;
    if (measured) {
      messagesSent.increment();
    }
    undelivered.put(seq, new AtomicInteger(measured ? message.getMessagesCount() : -message.getMessagesCount()));
    outstanding.increment();
    connections
        .get(from)
        .get(senderDevice)
        .request(Request.newBuilder().setSendMessage(message))
        .whenComplete((response, failure) -> sent(seq, due, measured, response, failure));
  }

  private void sent(long seq, long due, boolean measured, Response response, Throwable failure) {
    long now = System.nanoTime();
    outstanding.decrement();
    if (failure != null || response.getStatus() != Status.OK) {
      String why = failure != null ? "connection" : response.getStatus().name();
      errors.computeIfAbsent(why, s -> new LongAdder()).increment();
      undelivered.remove(seq);
    } else if (measured) {
      messagesCommitted.increment();
      envelopesCommitted.add(response.getSent().getEnvelopes());
      submit.recordValue(Math.max(0, (now - due) / 1000));
    }
    boolean failed = failure != null || response.getStatus() != Status.OK;
    if (rate <= 0 && (!completeOnDelivery || failed) && !stopping && now < measureEnd) {
      send(now);
    }
  }

  private void onPush(Push push, CountDownLatch ready) {
    if (push.hasQueueEmpty()) {
      ready.countDown();
      return;
    }
    if (!push.hasEnvelope()) {
      return;
    }
    long now = System.nanoTime();
    ByteBuffer header = push.getEnvelope().getContent().substring(0, HEADER).asReadOnlyByteBuffer();
    long due = header.getLong();
    long seq = header.getLong();
    boolean measured = due >= measureStart && due < measureEnd;
    if (measured) {
      envelopesDelivered.increment();
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
      if (completeOnDelivery && rate <= 0 && !stopping && now < measureEnd) {
        send(now);
      }
    }
  }

  private boolean measuredUndelivered() {
    return undelivered.values().stream().anyMatch(left -> left.get() > 0);
  }

  static String load(double rate, int inFlight, boolean completeOnDelivery) {
    if (rate > 0) {
      return "open loop, " + rate + " messages/s";
    }
    return "closed loop, " + inFlight + " messages in flight until "
        + (completeOnDelivery ? "delivered to every device" : "the server's sent answer");
  }

  private static ByteString header(long due, long seq) {
    return ByteString.copyFrom(ByteBuffer.allocate(HEADER).putLong(due).putLong(seq).flip());
  }

  static OutgoingMessage envelope(BenchDevice device, ByteString content) {
    return OutgoingMessage.newBuilder()
        .setDestinationAccount(device.accountId())
        .setDestinationDevice(device.deviceId())
        .setDestinationRegistrationId(device.registrationId())
        .setType(CiphertextType.WHISPER)
        .setContent(content)
        .build();
  }
}
