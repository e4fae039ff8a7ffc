package org.parley.bench.modes;

import com.google.protobuf.ByteString;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.parley.bench.net.ClientFrames;
import org.parley.bench.net.LeanWsLink;
import org.parley.bench.net.ServerFrames;
import org.parley.bench.net.SingleLoop;
import org.parley.bench.population.BenchDevice;
import org.parley.bench.population.BenchUser;
import org.parley.bench.report.MeasuredWindow;
import org.parley.bench.report.OpenLoop;
import org.parley.bench.report.Result;
import org.parley.bench.server.ServerHandle;
import org.parley.protocol.wire.CiphertextType;
import org.parley.protocol.wire.OutgoingMessage;
import org.parley.protocol.wire.Status;
import org.parley.server.transport.Transport;

/**
 * The relay workload of {@link RelayRun} with the lean driver: the same population, messages,
 * envelopes and acks, but every device's socket on one event loop ({@link SingleLoop}), each send
 * frame assembled from prebuilt per-device pieces with the message's due time and number patched
 * into the content, and pushes scanned in place for the guid (to ack) and that header (to count)
 * instead of parsed. The generator's CPU then goes to the sockets, not to protobuf objects, futures
 * and cross-thread hand-offs; what that saves, measured, and where the rest goes (mostly the kernel's
 * loopback TCP): BENCHMARKS.md#the-lean-driver-against-the-full-client (issue 16: the full client
 * could set Parley's figure).
 *
 * <p>Delivery is checked more strictly than by the full client: each message remembers which
 * devices it was addressed to, and an envelope counts only on a device that was owed it and has
 * not had it yet (anything else is counted as unexpected). Everything runs on the loop, so the
 * bookkeeping is plain arrays indexed by message number.
 */
final class LeanRelayRun implements LeanWsLink.Listener {
  private static final int HEADER = 16;
  /** Messages whose bookkeeping is kept at once (a power of two): far above any backlog a run allows. */
  private static final int SLOTS = 1 << 18;
  /** Envelopes per message at most: 2 * 5 devices - 1. */
  private static final int MAX_ENVELOPES = 9;
  /** Per slot: the low bits are the devices still owed an envelope (see {@link #bit}); then two flags. */
  private static final int AWAITING_ANSWER = 1 << 29;
  private static final int MEASURED = 1 << 30;
  private static final int OWED = (1 << 20) - 1;

  private final List<BenchUser> users;
  private final int devices;
  private final int payloadBytes;
  private final double rate;
  private final int inFlight;
  private final long maxOutstanding;
  private final boolean completeOnDelivery;
  /** How long each device waits after a read before it acks (its own commit); 0 acks at once. */
  private long ackDelayNanos;
  private final SplittableRandom random = new SplittableRandom();
  private final ClientFrames frames = new ClientFrames(random);
  private final ServerFrames scanner = new ServerFrames();
  /** Per device (user * devices + device): its OutgoingMessage as a SendMessage.messages field, content last. */
  private final byte[][] pieces;
  /** The pieces of the message being sent (reused). */
  private final int[] order;

  private LeanWsLink[] links;
  private CountDownLatch ready;
  private volatile long measureStart = Long.MAX_VALUE;
  private volatile long measureEnd = Long.MAX_VALUE;
  private volatile boolean stopping;

  // Event loop only, but for the two volatile counts the settling main thread reads.
  private final int[] state = new int[SLOTS];
  private final int[] from = new int[SLOTS];
  private final int[] to = new int[SLOTS];
  private final long[] dueAt = new long[SLOTS];
  /**
   * Envelopes of a measured message that arrived before its answer (the server may push before the
   * commit): they count as delivered only once the send is answered OK, so a refused send's envelopes
   * never stand in for a missing one.
   */
  private final byte[] early = new byte[SLOTS];
  /** Their delivery latencies (µs), MAX_ENVELOPES per slot: recorded on the OK answer, dropped on a refusal. */
  private final int[] earlyMicros = new int[SLOTS * MAX_ENVELOPES];
  private final Histogram delivery = new Histogram(TimeUnit.MINUTES.toMicros(5), 3);
  private final Histogram submit = new Histogram(TimeUnit.MINUTES.toMicros(5), 3);
  /**
   * Open loop: how late the generator itself wrote each measured send (written minus due). Latency
   * counts from the due time, so a late generator shows in both latencies; this says how much of them
   * is the generator's own (a busy event loop, a descheduled pacer), not the server's.
   */
  private final Histogram sendLate = new Histogram(TimeUnit.MINUTES.toMicros(5), 3);
  private final Map<String, Long> errors = new TreeMap<>();
  private long sequence;
  private long messagesSent;
  private long messagesCommitted;
  private long envelopesCommitted;
  private long envelopesDelivered;
  private long messagesDelivered;
  private long envelopesUnexpected;
  private long skipped;
  private volatile long awaitingAnswer;
  private volatile long measuredUndelivered;

  LeanRelayRun(List<BenchUser> users, int payloadBytes, double rate, int inFlight, long maxOutstanding, boolean completeOnDelivery) {
    if (users.size() < 2) {
      throw new IllegalArgumentException("the relay mode needs at least 2 users");
    }
    this.users = users;
    this.devices = users.get(0).devices().size();
    if (users.stream().anyMatch(u -> u.devices().size() != devices)) {
      throw new IllegalArgumentException("the lean driver needs every user to have the same number of devices");
    }
    if (2 * devices - 1 > MAX_ENVELOPES) {
      throw new IllegalArgumentException("at most 5 devices per user (a primary and 4 companions)");
    }
    this.payloadBytes = Math.max(HEADER, payloadBytes);
    this.rate = rate;
    this.inFlight = inFlight;
    this.maxOutstanding = maxOutstanding;
    this.completeOnDelivery = completeOnDelivery;
    byte[] content = new byte[this.payloadBytes];
    random.nextBytes(content);
    this.pieces = new byte[users.size() * devices][];
    this.order = new int[2 * devices];
    for (int u = 0; u < users.size(); u++) {
      for (int d = 0; d < devices; d++) {
        pieces[u * devices + d] = piece(users.get(u).devices().get(d), content);
      }
    }
  }

  /** Devices ack this long after reading (see {@link LeanWsLink#ackDelay}); call before {@link #run}. */
  LeanRelayRun ackDelay(long nanos) {
    this.ackDelayNanos = nanos;
    return this;
  }

  /** SendMessage.messages for one device, as protobuf-java writes it; its content is its last bytes. */
  static byte[] piece(BenchDevice device, byte[] content) {
    byte[] message =
        OutgoingMessage.newBuilder()
            .setDestinationAccount(device.accountId())
            .setDestinationDevice(device.deviceId())
            .setDestinationRegistrationId(device.registrationId())
            .setType(CiphertextType.WHISPER)
            .setContent(ByteString.copyFrom(content))
            .build()
            .toByteArray();
    if (!java.util.Arrays.equals(message, message.length - content.length, message.length, content, 0, content.length)) {
      throw new IllegalStateException("OutgoingMessage.content is no longer its last field: the lean driver patches it there");
    }
    byte[] piece = new byte[ClientFrames.fieldSize(ClientFrames.SEND_MESSAGES, message.length)];
    int at = ClientFrames.putVarint(piece, 0, ClientFrames.SEND_MESSAGES);
    at = ClientFrames.putVarint(piece, at, message.length);
    System.arraycopy(message, 0, piece, at, message.length);
    return piece;
  }

  Result run(Transport transport, ServerHandle server, List<URI> servers, List<String> sources, double warmupSeconds, double durationSeconds,
      int connectParallel) throws Exception {
    try (SingleLoop net = new SingleLoop(transport)) {
      EventLoop loop = net.loop();
      connect(net, servers, sources, connectParallel);
      if (!ready.await(120, TimeUnit.SECONDS)) {
        throw new IllegalStateException("not every device got its queue-empty signal within 120 s");
      }
      MeasuredWindow window = new MeasuredWindow(warmupSeconds, durationSeconds);
      measureStart = window.start();
      measureEnd = window.end();
      Thread pacer = OpenLoop.startOn(loop, rate, inFlight, measureEnd, () -> stopping, this::startSend);
      window.pass(server.stats());
      stopping = true;
      if (pacer != null) {
        pacer.join();
      }
      MeasuredWindow.settle(() -> awaitingAnswer > 0 || measuredUndelivered > 0);
      Result result = loop.submit(() -> result(durationSeconds)).get();
      result.put("transport", transport.label());
      window.report(result, server.stats());
      loop.submit(() -> {
        for (LeanWsLink link : links) {
          link.close();
        }
      }).get();
      return result;
    }
  }

  private void connect(SingleLoop net, List<URI> servers, List<String> sources, int parallel) throws InterruptedException {
    links = new LeanWsLink[pieces.length];
    ready = new CountDownLatch(links.length);
    Semaphore permits = new Semaphore(parallel);
    List<CompletableFuture<LeanWsLink>> opening = new ArrayList<>(links.length);
    for (int i = 0; i < links.length; i++) {
      URI server = servers.get(i % servers.size());
      BenchDevice device = users.get(i / devices).devices().get(i % devices);
      links[i] = new LeanWsLink(i, server.resolve("/v1/websocket"), device.authorization(), frames, scanner, this)
          .ackDelay(ackDelayNanos);
      permits.acquire();
      links[i].opened().whenComplete((l, e) -> permits.release());
      opening.add(links[i].opened());
      net.connect(new InetSocketAddress(server.getHost(), server.getPort()),
          sources.isEmpty() ? null : sources.get(i % sources.size()), links[i], links[i]::failOpen);
    }
    for (int i = 0; i < opening.size(); i++) {
      try {
        opening.get(i).join();
      } catch (RuntimeException e) {
        throw new IllegalStateException("device connection " + (i + 1) + " of " + links.length + " failed: "
            + Connector.rootMessage(e), e);
      }
    }
  }

  /** Tests: the window without running one. */
  void measureBetween(long start, long end) {
    measureStart = start;
    measureEnd = end;
  }

  /** A send the load starts with, or (open loop) one the pacer says is due: skipped past the backlog limit. */
  private void startSend(long due) {
    if (rate > 0 && awaitingAnswer >= maxOutstanding) {
      skipped++;
    } else {
      send(due);
    }
  }

  /** Sends one message from a random device to another random user; {@code due}: when it was meant to go. */
  private void send(long due) {
    int sender = random.nextInt(users.size());
    int recipient = random.nextInt(users.size() - 1);
    if (recipient >= sender) {
      recipient++;
    }
    int senderDevice = random.nextInt(devices);
    long seq = open(sender, senderDevice, recipient, due);

    // The full client's order: the recipient's devices, then the sender's other devices.
    int count = 0;
    for (int d = 0; d < devices; d++) {
      order[count++] = recipient * devices + d;
    }
    for (int d = 0; d < devices; d++) {
      if (d != senderDevice) {
        order[count++] = sender * devices + d;
      }
    }
    writeSend(frames, seq << 1, System.currentTimeMillis(), pieces, order, count, payloadBytes, due, seq);
    links[sender * devices + senderDevice].write(frames.finish());
    if (rate > 0 && due >= measureStart && due < measureEnd) {
      sendLate.recordValue(Math.min(sendLate.getHighestTrackableValue(), Math.max(0, (System.nanoTime() - due) / 1000)));
    }
  }

  /**
   * Opens the books on a message from {@code sender}'s device {@code senderDevice} to {@code recipient}:
   * every device of the recipient and every other device of the sender is owed one envelope. Returns
   * its number.
   */
  long open(int sender, int senderDevice, int recipient, long due) {
    long seq = ++sequence;
    int slot = (int) (seq & (SLOTS - 1));
    if (state[slot] != 0) {
      // A message SLOTS sends old is still open: it is lost already (its envelopes count as lost); its bookkeeping goes.
      int old = state[slot];
      awaitingAnswer -= (old & AWAITING_ANSWER) != 0 ? 1 : 0;
      measuredUndelivered -= (old & MEASURED) != 0 && (old & OWED) != 0 ? 1 : 0;
      count("bookkeeping_overrun");
    }
    boolean measured = due >= measureStart && due < measureEnd;
    int owed = ((1 << devices) - 1) | (((1 << devices) - 1) & ~(1 << senderDevice)) << devices;
    state[slot] = owed | AWAITING_ANSWER | (measured ? MEASURED : 0);
    from[slot] = sender;
    to[slot] = recipient;
    dueAt[slot] = due;
    early[slot] = 0;
    awaitingAnswer++;
    if (measured) {
      messagesSent++;
      measuredUndelivered++;
    }
    return seq;
  }

  /**
   * Frame{request{id, send_message{timestamp, messages: the pieces in order}}} as protobuf-java writes
   * it, with {@code due} and {@code seq} as the first 16 bytes of every envelope's content; the frame
   * is not finished (no WebSocket header yet).
   */
  static ClientFrames writeSend(ClientFrames frames, long id, long timestamp, byte[][] pieces, int[] order, int count,
      int payloadBytes, long due, long seq) {
    int body = 1 + ClientFrames.varintSize(timestamp);
    for (int i = 0; i < count; i++) {
      body += pieces[order[i]].length;
    }
    int request = 1 + ClientFrames.varintSize(id) + ClientFrames.fieldSize(ClientFrames.REQUEST_SEND_MESSAGE, body);
    frames.begin(ClientFrames.fieldSize(ClientFrames.FRAME_REQUEST, request))
        .varint(ClientFrames.FRAME_REQUEST).varint(request)
        .varint(ClientFrames.REQUEST_ID).varint(id)
        .varint(ClientFrames.REQUEST_SEND_MESSAGE).varint(body)
        .varint(ClientFrames.SEND_TIMESTAMP).varint(timestamp);
    for (int i = 0; i < count; i++) {
      byte[] piece = pieces[order[i]];
      frames.bytes(piece, 0, piece.length).patchLong(payloadBytes, due).patchLong(payloadBytes - 8, seq);
    }
    return frames;
  }

  /** The owed-device bit of device {@code link} for the message in {@code slot}; -1 if it was not addressed. */
  private int bit(int slot, int link) {
    int user = link / devices;
    int device = link % devices;
    return user == to[slot] ? device : user == from[slot] ? devices + device : -1;
  }

  @Override
  public void envelope(LeanWsLink link, ByteBuf buffer, int contentAt, int contentLength) {
    long now = System.nanoTime();
    if (contentLength < HEADER) {
      envelopesUnexpected++;
      return;
    }
    long due = buffer.getLong(contentAt);
    long seq = buffer.getLong(contentAt + 8);
    int slot = (int) (seq & (SLOTS - 1));
    int bit = seq <= 0 || seq > sequence || dueAt[slot] != due ? -1 : bit(slot, link.index());
    int s = state[slot];
    if (bit < 0 || (s & (1 << bit)) == 0) {
      // Not owed to this device, or a second copy: the relay must do neither.
      envelopesUnexpected++;
      return;
    }
    s &= ~(1 << bit);
    state[slot] = s;
    boolean measured = (s & MEASURED) != 0;
    boolean answered = (s & AWAITING_ANSWER) == 0;
    if (measured) {
      long micros = Math.min(delivery.getHighestTrackableValue(), Math.max(0, (now - due) / 1000));
      if (answered) {
        envelopesDelivered++;
        delivery.recordValue(micros);
      } else {
        earlyMicros[slot * MAX_ENVELOPES + early[slot]++] = (int) Math.min(Integer.MAX_VALUE, micros);
      }
    }
    if ((s & OWED) == 0) {
      if (measured) {
        measuredUndelivered--;
        if (answered) {
          messagesDelivered++; // else when the OK answer comes
        }
      }
      if (answered) {
        state[slot] = 0;
      }
      if (completeOnDelivery && rate <= 0 && !stopping && now < measureEnd) {
        send(now);
      }
    }
  }

  @Override
  public void response(LeanWsLink link, long id, int status, long envelopes) {
    long now = System.nanoTime();
    long seq = id >>> 1;
    int slot = (int) (seq & (SLOTS - 1));
    int s = state[slot];
    if ((id & 1) != 0 || seq <= 0 || seq > sequence || (s & AWAITING_ANSWER) == 0) {
      // Acks (odd ids) get no answer; one means the server refused an ack.
      count("unexpected answer " + (Status.forNumber(status) == null ? status : Status.forNumber(status)));
      return;
    }
    awaitingAnswer--;
    s &= ~AWAITING_ANSWER;
    boolean measured = (s & MEASURED) != 0;
    boolean failed = status != Status.OK_VALUE;
    if (failed) {
      count(Status.forNumber(status) == null ? "status " + status : Status.forNumber(status).name());
      if (early[slot] > 0) {
        errors.merge("envelopes_delivered_but_refused", (long) early[slot], Long::sum);
      }
      if (measured && (s & OWED) != 0) {
        measuredUndelivered--;
      }
      s = 0;
    } else if (measured) {
      messagesCommitted++;
      envelopesCommitted += envelopes;
      submit.recordValue(Math.min(submit.getHighestTrackableValue(), Math.max(0, (now - dueAt[slot]) / 1000)));
      envelopesDelivered += early[slot];
      for (int i = 0; i < early[slot]; i++) {
        delivery.recordValue(earlyMicros[slot * MAX_ENVELOPES + i]);
      }
      if ((s & OWED) == 0) {
        messagesDelivered++;
      }
    }
    early[slot] = 0;
    state[slot] = (s & OWED) == 0 ? 0 : s;
    if (rate <= 0 && (!completeOnDelivery || failed) && !stopping && now < measureEnd) {
      send(now);
    }
  }

  @Override
  public void queueEmpty(LeanWsLink link) {
    ready.countDown();
  }

  @Override
  public void closed(LeanWsLink link, Throwable cause) {
    if (measureStart != Long.MAX_VALUE && !stopping) {
      count("connection");
    }
  }

  private void count(String error) {
    errors.merge(error, 1L, Long::sum);
  }

  Result result(double durationSeconds) {
    Result result = new Result("relay");
    result.put("driver", "lean (Netty, one event loop, prebuilt send frames, pushes scanned in place)");
    result.put("users", users.size());
    result.put("devices_per_user", devices);
    result.put("connected_devices", users.size() * devices);
    result.put("envelopes_per_message", 2 * devices - 1);
    result.put("payload_bytes", payloadBytes);
    result.put("payload", "pre-encrypted (random bytes; the relay never reads them)");
    result.put("load", RelayRun.load(rate, inFlight, completeOnDelivery));
    result.put("ack_delay_ms", ackDelayNanos / 1e6);
    result.put("duration_s", durationSeconds);
    result.put("messages_sent", messagesSent);
    result.put("messages_committed", messagesCommitted);
    result.put("envelopes_committed", envelopesCommitted);
    result.put("envelopes_committed_per_s", Result.round(envelopesCommitted / durationSeconds));
    result.put("messages_delivered_per_s", Result.round(messagesDelivered / durationSeconds));
    result.put("envelopes_delivered_per_s", Result.round(envelopesDelivered / durationSeconds));
    result.put("envelopes_lost", envelopesCommitted - envelopesDelivered);
    result.put("envelopes_unexpected", envelopesUnexpected);
    result.put("sends_skipped_backlog", skipped);
    result.put("errors", new TreeMap<>(errors));
    result.latency("submit_to_sent_ms", submit);
    result.latency("submit_to_delivered_ms", delivery);
    if (rate > 0) {
      result.latency("send_late_ms", sendLate);
    }
    return result;
  }
}
