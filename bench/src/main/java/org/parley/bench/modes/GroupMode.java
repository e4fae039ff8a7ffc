package org.parley.bench.modes;

import com.google.protobuf.ByteString;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import org.parley.client.ClientConfig;
import org.parley.client.Device;
import org.parley.protocol.DeviceListSignatures;
import org.parley.protocol.wire.CiphertextType;
import org.parley.protocol.wire.DeviceKind;
import org.parley.protocol.wire.DeviceList;
import org.parley.protocol.wire.DeviceListEntry;
import org.parley.protocol.wire.Frame;
import org.parley.protocol.wire.GroupRecipient;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.SendGroupMessage;
import org.parley.protocol.wire.SignedDeviceList;
import org.parley.protocol.wire.Status;
import org.parley.protocol.wire.UnlinkReason;
import org.parley.server.Limits;
import org.parley.server.auth.Credentials;
import org.parley.server.store.DeviceRecord;
import org.parley.server.store.PreKeys;
import org.parley.server.store.Storage;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestServer;
import org.signal.libsignal.protocol.IdentityKeyPair;
import picocli.CommandLine.Command;
import org.parley.bench.report.Result;
import picocli.CommandLine.Option;
import org.signal.libsignal.protocol.ecc.ECKeyPair;
import org.signal.libsignal.protocol.kem.KEMKeyPair;
import org.signal.libsignal.protocol.kem.KEMKeyType;

/**
 * The groups benchmark of issue 6: one message to a group of 1,024 members with two devices each
 * (2,047 envelopes: every device but the sender's).
 *
 * <ul>
 *   <li><b>sender</b>: CPU time of the sending thread for {@code GroupChats.sendText} once every
 *       device holds the sender key (recipients from the verified cache, one sender-key encryption,
 *       the request, the local history), and its wall time until the server said "stored";
 *   <li><b>server</b>: a prepared {@code SendGroupMessage} sent on a raw connection, timed until the
 *       server answers (every envelope committed) and until the last of the 2,047 connected devices
 *       has the push.
 * </ul>
 *
 * The other 1,023 accounts are written straight into the server's store with real keys and signed
 * device lists, so the real client verifies and encrypts to them as to any account; their devices
 * are Netty WebSocket clients on one event loop that only count pushes (the JDK's WebSocket client,
 * a thousand at a time, now and then never delivered the first pushes after the upgrade to its
 * listener, though the server had written them). Run it with
 * {@code bench/parley-bench group [--members N] [--rounds N]}.
 */
@Command(
    name = "group",
    mixinStandardHelpOptions = true,
    description = {
      "Group fan-out (issue #6): one message to a group of --members members with two devices each.",
      "Sender CPU and wall time with sender keys already handed out, and server time until every",
      "envelope is committed and pushed to the connected devices. The server runs in this JVM,",
      "because the other members are written straight into its store."
    })
public final class GroupMode implements Callable<Integer> {
  private static final SecureRandom RANDOM = new SecureRandom();

  @Option(names = "--members", defaultValue = "1024", description = "Members of the group (default ${DEFAULT-VALUE}).")
  int members;

  @Option(names = "--rounds", defaultValue = "7", description = "Measured messages (default ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--out", description = "Also append the JSON result line to this file.")
  Path out;

  @Override
  public Integer call() throws Exception {
    Path dir = Files.createTempDirectory("parley-group-benchmark-");
    run(dir);
    return 0;
  }

  void run(Path dir) throws Exception {
    List<String> report = new ArrayList<>();
    Result result = new Result("group");
    result.put("members", members);
    result.put("envelopes_per_message", 2 * members - 1);
    result.put("rounds", rounds);
    try (TestServer server =
        TestServer.start(
            dir.resolve("server"), Clock.systemUTC(),
            // The first message hands the sender key to 2,047 devices: one bundle fetch each, and
            // the group is created with 1,023 numbers at once.
            b -> b.limits(org.parley.bench.server.BenchServer.benchLimits()))) {
      long setup = System.nanoTime();
      Device sender = register(server, dir.resolve("sender"), "+15552000000");
      Device senderLaptop = linkByUri(server, sender, dir.resolve("sender-laptop"), "laptop");
      senderLaptop.close();
      List<Synthetic> others = createAccounts(server.server().storage(), members - 1);
      List<String> phones = others.stream().map(Synthetic::phone).toList();
      String group = sender.groups().create("benchmark", phones).id();
      com.sun.management.OperatingSystemMXBean os =
          (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      long handoverCpu = os.getProcessCpuTime();
      long handover = System.nanoTime();
      sender.groups().sendText(group, "the first message hands the sender key to every device");
      result.put("first_message_ms", Math.round(millis(System.nanoTime() - handover)));
      // Sender and server share this JVM: its CPU over the first message is the work both cores share
      // (on a loaded machine the wall time above mostly measures the other processes).
      result.put("first_message_process_cpu_ms", Math.round(millis(os.getProcessCpuTime() - handoverCpu)));
      report.add(
          String.format(
              Locale.ROOT, "setup %.1f s; first message (sender key to %d devices) %.1f s",
              seconds(handover - setup), 2 * members - 1, seconds(System.nanoTime() - handover)));

      List<Receiver> receivers = new ArrayList<>();
      receivers.add(Receiver.of(sender.local().account(), 2, credential(dir.resolve("sender-laptop"))));
      for (Synthetic other : others) {
        receivers.add(Receiver.of(other.account(), 1, other.primarySecret()));
        receivers.add(Receiver.of(other.account(), 2, other.companionSecret()));
      }
      try (Pushes pushes = Pushes.connect(server.url(), receivers)) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long[] cpu = new long[rounds];
        long[] wall = new long[rounds];
        long[] delivered = new long[rounds];
        for (int i = 0; i < rounds; i++) {
          Pushes.Round round = pushes.start();
          long cpu0 = threads.getCurrentThreadCpuTime();
          long t0 = System.nanoTime();
          sender.groups().sendText(group, "measured message " + i);
          wall[i] = System.nanoTime() - t0;
          cpu[i] = threads.getCurrentThreadCpuTime() - cpu0;
          delivered[i] = round.await() - t0;
        }
        report.add(line("sender CPU (sendText)", cpu));
        report.add(line("sender wall until stored", wall));
        report.add(line("sendText start to last push", delivered));
        result.put("sender_cpu_ms_median", medianMillis(cpu));
        result.put("sender_wall_ms_median", medianMillis(wall));
        result.put("send_to_last_push_ms_median", medianMillis(delivered));

        SendGroupMessage.Builder prepared = prepared(server, sender, group);
        long[] committed = new long[rounds];
        long[] pushed = new long[rounds];
        try (RawClient raw =
            RawClient.connect(
                server.url(), "/v1/websocket?deliver=false",
                RawClient.authorization(sender.local().account(), 1, sender.local().credential()))) {
          for (int i = 0; i < rounds; i++) {
            Pushes.Round round = pushes.start();
            long t0 = System.nanoTime();
            Response answer = raw.call(Request.newBuilder().setSendGroupMessage(prepared.setTimestamp(i)));
            committed[i] = System.nanoTime() - t0;
            if (answer.getStatus() != Status.OK || answer.getSent().getEnvelopes() != receivers.size()) {
              throw new IllegalStateException("the prepared send was refused: " + answer);
            }
            pushed[i] = round.await() - t0;
          }
        }
        report.add(line("server: request to all committed (answer)", committed));
        report.add(line("server: request to last device pushed", pushed));
        result.put("server_committed_ms_median", medianMillis(committed));
        result.put("server_last_push_ms_median", medianMillis(pushed));
      }
      sender.close();
    }
    report.addFirst(
        String.format(
            Locale.ROOT, "group of %d members x 2 devices, one message = %d envelopes; %d rounds; %d cores",
            members, 2 * members - 1, rounds, Runtime.getRuntime().availableProcessors()));
    report.forEach(System.out::println);
    result.print(System.out, out);
  }

  private static Device register(TestServer server, Path profile, String phone) {
    Device device = Device.open(profile, ClientConfig.defaults());
    device.requestCode(server.url(), phone, "benchmark sender");
    device.verify(server.sms().codeFor(phone));
    return device;
  }

  private static Device linkByUri(TestServer server, Device primary, Path profile, String name) throws Exception {
    Device companion = Device.open(profile, ClientConfig.defaults());
    CompletableFuture<String> shown = new CompletableFuture<>();
    CompletableFuture<Void> linking =
        CompletableFuture.runAsync(
            () -> companion.link(server.url(), name, DeviceKind.DESKTOP, invitation -> shown.complete(invitation.uri())),
            task -> Thread.ofPlatform().daemon().start(task));
    primary.addDevice(shown.get(30, TimeUnit.SECONDS));
    linking.get(30, TimeUnit.SECONDS);
    return companion;
  }

  /** The same request the client sends, with stand-in bytes for the ciphertext (the server never reads it). */
  private static SendGroupMessage.Builder prepared(TestServer server, Device sender, String group) {
    SendGroupMessage.Builder request =
        SendGroupMessage.newBuilder().setGroupId(group).setContent(ByteString.copyFrom(new byte[240]));
    for (DeviceRecord device : server.server().storage().groups().devices(UUID.fromString(group))) {
      if (device.account().equals(sender.local().account()) && device.deviceId() == 1) {
        continue;
      }
      request.addRecipients(
          GroupRecipient.newBuilder()
              .setAccountId(device.account().toString())
              .setDeviceId(device.deviceId())
              .setRegistrationId(device.registrationId()));
    }
    return request;
  }

  private static byte[] credential(Path profile) {
    try (Device device = Device.open(profile, ClientConfig.defaults())) {
      return device.local().credential();
    }
  }

  // ---------------------------------------------------------------- synthetic accounts

  /** An account with a primary and a companion, written straight into the server's store. */
  record Synthetic(String phone, UUID account, byte[] primarySecret, byte[] companionSecret) {}

  private static List<Synthetic> createAccounts(Storage storage, int count) throws Exception {
    List<Future<Synthetic>> made = new ArrayList<>();
    // Concurrent writers share the store's group commits, so this takes seconds rather than minutes.
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 1; i <= count; i++) {
        String phone = String.format(Locale.ROOT, "+1555%07d", 2_000_000 + i);
        made.add(pool.submit(() -> create(storage.accounts(), phone)));
      }
    }
    List<Synthetic> out = new ArrayList<>();
    for (Future<Synthetic> account : made) {
      out.add(account.get());
    }
    return out;
  }

  /**
   * What registration and linking would have stored: real identity keys, signed pre-keys and Kyber
   * last-resort keys (so sessions start), and a device list signed by the primary with the
   * companion's linking proof (so the sender vouches for both devices).
   */
  private static Synthetic create(org.parley.server.store.Accounts accounts, String phone) {
    long now = System.currentTimeMillis();
    IdentityKeyPair primaryKey = IdentityKeyPair.generate();
    IdentityKeyPair companionKey = IdentityKeyPair.generate();
    byte[] primarySecret = secret();
    byte[] companionSecret = secret();
    UUID account = UUID.randomUUID();
    DeviceRecord primary =
        new DeviceRecord(
            account, 1, registrationId(), primaryKey.getPublicKey().serialize(), Credentials.hash(primarySecret),
            "phone", DeviceKind.PHONE_VALUE, now, now, null);
    accounts.registerPrimary(phone, primary, upload(primaryKey), UnlinkReason.REREGISTERED_VALUE);
    int companionId = accounts.reserveDeviceId(account);
    byte[] accountSignature =
        DeviceListSignatures.accountSignature(primaryKey, account, companionId, companionKey.getPublicKey(), now);
    byte[] deviceSignature =
        DeviceListSignatures.deviceSignature(companionKey, accountSignature, primaryKey.getPublicKey());
    SignedDeviceList list =
        DeviceListSignatures.sign(
            DeviceList.newBuilder()
                .setAccountId(account.toString())
                .setVersion(1)
                .setIssuedAt(now)
                .addEntries(
                    DeviceListEntry.newBuilder()
                        .setDeviceId(1)
                        .setIdentityKey(ByteString.copyFrom(primaryKey.getPublicKey().serialize()))
                        .setKind(DeviceKind.PHONE)
                        .setName("phone"))
                .addEntries(
                    DeviceListEntry.newBuilder()
                        .setDeviceId(companionId)
                        .setIdentityKey(ByteString.copyFrom(companionKey.getPublicKey().serialize()))
                        .setAddedAt(now)
                        .setKind(DeviceKind.DESKTOP)
                        .setName("laptop")
                        .setAccountSignature(ByteString.copyFrom(accountSignature)))
                .build(),
            primaryKey);
    DeviceRecord companion =
        new DeviceRecord(
            account, companionId, registrationId(), companionKey.getPublicKey().serialize(),
            Credentials.hash(companionSecret), "laptop", DeviceKind.DESKTOP_VALUE, now, now, deviceSignature);
    org.parley.server.store.Accounts.LinkResult linked = accounts.addCompanion(companion, upload(companionKey), 1, list.toByteArray(), 4);
    if (linked != org.parley.server.store.Accounts.LinkResult.LINKED) {
      throw new IllegalStateException("could not link the companion of " + phone + ": " + linked);
    }
    return new Synthetic(phone, account, primarySecret, companionSecret);
  }

  private static PreKeys.Upload upload(IdentityKeyPair identity) {
    byte[] signedPreKey = ECKeyPair.generate().getPublicKey().serialize();
    byte[] kyber = KEMKeyPair.generate(KEMKeyType.KYBER_1024).getPublicKey().serialize();
    return new PreKeys.Upload(
        new PreKeys.Key(1, signedPreKey, identity.getPrivateKey().calculateSignature(signedPreKey)),
        new PreKeys.Key(2, kyber, identity.getPrivateKey().calculateSignature(kyber)),
        List.of(),
        List.of());
  }

  private static byte[] secret() {
    byte[] secret = new byte[Credentials.SECRET_BYTES];
    RANDOM.nextBytes(secret);
    return secret;
  }

  private static int registrationId() {
    return 1 + RANDOM.nextInt(16380);
  }

  // ---------------------------------------------------------------- the receiving devices

  record Receiver(UUID account, int deviceId, byte[] secret) {
    static Receiver of(UUID account, int deviceId, byte[] secret) {
      return new Receiver(account, deviceId, secret);
    }
  }

  /**
   * Every receiving device's WebSocket, all on one Netty event loop. They never ack; a round counts
   * the sender-key envelopes pushed to them.
   */
  static final class Pushes implements AutoCloseable {
    private final EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final List<Channel> sockets = new ArrayList<>();
    private final CountDownLatch drained;
    private volatile Round round;

    private Pushes(int devices) {
      this.drained = new CountDownLatch(devices);
    }

    static Pushes connect(String serverUrl, List<Receiver> receivers) throws InterruptedException {
      Pushes pushes = new Pushes(receivers.size());
      URI uri = URI.create(serverUrl + "/v1/websocket");
      List<ChannelFuture> opening = new ArrayList<>();
      for (Receiver receiver : receivers) {
        WebSocketClientProtocolConfig config =
            WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(uri)
                .customHeaders(
                    new DefaultHttpHeaders()
                        .set(
                            HttpHeaderNames.AUTHORIZATION,
                            RawClient.authorization(receiver.account(), receiver.deviceId(), receiver.secret())))
                .maxFramePayloadLength(4 << 20)
                .build();
        opening.add(
            new Bootstrap()
                .group(pushes.loop)
                .channel(NioSocketChannel.class)
                .handler(
                    new ChannelInitializer<SocketChannel>() {
                      @Override
                      protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(
                            new HttpClientCodec(),
                            new HttpObjectAggregator(64 * 1024),
                            new WebSocketClientProtocolHandler(config),
                            new WebSocketFrameAggregator(4 << 20),
                            pushes.new Counter());
                      }
                    })
                .connect(uri.getHost(), uri.getPort()));
      }
      for (ChannelFuture future : opening) {
        pushes.sockets.add(future.sync().channel());
      }
      // Everything queued before (group notice, key handover, first message) is pushed first.
      if (!pushes.drained.await(2, TimeUnit.MINUTES)) {
        throw new IllegalStateException(
            pushes.drained.getCount() + " of " + receivers.size() + " devices' queues were not drained in two minutes");
      }
      return pushes;
    }

    Round start() {
      Round next = new Round(sockets.size());
      round = next;
      return next;
    }

    @Override
    public void close() {
      sockets.forEach(Channel::close);
      loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    /** One message's pushes: done when every device has had it. */
    static final class Round {
      private final CountDownLatch remaining;
      private final AtomicLong last = new AtomicLong();

      Round(int devices) {
        this.remaining = new CountDownLatch(devices);
      }

      void arrived() {
        last.accumulateAndGet(System.nanoTime(), Math::max);
        remaining.countDown();
      }

      /** Waits for every device; returns when the last push arrived (System.nanoTime). */
      long await() throws InterruptedException {
        if (!remaining.await(1, TimeUnit.MINUTES)) {
          throw new IllegalStateException(remaining.getCount() + " devices did not get the message");
        }
        return last.get();
      }
    }

    private final class Counter extends SimpleChannelInboundHandler<BinaryWebSocketFrame> {
      @Override
      public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
          // The server pushes nothing before a client's first frame: an empty ack says hello.
          Frame hello =
              Frame.newBuilder()
                  .setRequest(
                      org.parley.protocol.wire.Request.newBuilder()
                          .setAck(org.parley.protocol.wire.Ack.getDefaultInstance()))
                  .build();
          ctx.writeAndFlush(new BinaryWebSocketFrame(io.netty.buffer.Unpooled.wrappedBuffer(hello.toByteArray())));
        }
        ctx.fireUserEventTriggered(event);
      }

      @Override
      protected void channelRead0(ChannelHandlerContext ctx, BinaryWebSocketFrame message) throws Exception {
        Frame frame = Frame.parseFrom(ByteBufUtil.getBytes(message.content()));
        if (frame.getPush().hasQueueEmpty()) {
          drained.countDown();
        } else if (frame.getPush().hasEnvelope() && frame.getPush().getEnvelope().getType() == CiphertextType.SENDER_KEY) {
          Round current = round;
          if (current != null) {
            current.arrived();
          }
        }
      }
    }
  }

  // ---------------------------------------------------------------- figures

  private static String line(String what, long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    return String.format(
        Locale.ROOT, "%-44s median %7.1f ms   min %7.1f ms   max %7.1f ms",
        what, millis(sorted[sorted.length / 2]), millis(sorted[0]), millis(sorted[sorted.length - 1]));
  }

  private static double medianMillis(long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    return Math.round(millis(sorted[sorted.length / 2]) * 10) / 10.0;
  }

  private static double millis(long nanos) {
    return nanos / 1e6;
  }

  private static double seconds(long nanos) {
    return nanos / 1e9;
  }
}
