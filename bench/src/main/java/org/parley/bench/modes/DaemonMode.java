package org.parley.bench.modes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.parley.bench.report.Result;
import org.parley.cli.daemon.Daemon;
import org.parley.client.ClientConfig;
import org.parley.client.Device;
import org.parley.server.testing.TestServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The device daemon (issue 12): a {@code send} round trip through JSON-RPC on the profile's UNIX
 * socket (request to answer: encrypt for every device, the relay's commit, the device's own commit
 * of the sent message and its event); how many events a subscriber gets per second, live (another
 * daemon sends as fast as the relay takes it), replayed from the event log ({@code since: 0}) and
 * received from a queue that waited while the daemon was down;
 * and a whole {@code parley} command (JVM start-up included) standalone and through the daemon.
 * The relay runs in this JVM; give {@code --server-data /dev/shm/...} to leave its fsync out.
 */
@Command(
    name = "daemon",
    mixinStandardHelpOptions = true,
    description = {
      "The device daemon: send round trip through JSON-RPC, events per second to a subscriber,",
      "and a parley command standalone vs through the daemon (needs --parley)."
    })
public final class DaemonMode implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Option(names = "--sends", defaultValue = "500", description = "Measured sends (default ${DEFAULT-VALUE}).")
  int sends;

  @Option(names = "--events", defaultValue = "1000", description = "Messages for the subscriber figures (default ${DEFAULT-VALUE}).")
  int events;

  @Option(names = "--senders", defaultValue = "4", description = "Connections sending at once for the live subscriber figure (default ${DEFAULT-VALUE}).")
  int senders;

  @Option(names = "--server-data", description = "The relay's data directory (default: under the scratch directory).")
  Path serverData;

  @Option(names = "--profiles", description = "Where the device profiles go (default: a scratch directory under /tmp).")
  Path profiles;

  @Option(names = "--parley", description = "The parley launcher, to time whole commands (e.g. ./parley); none: skipped.")
  Path parley;

  @Option(names = "--commands", defaultValue = "5", description = "Timed runs of each whole command (default ${DEFAULT-VALUE}).")
  int commands;

  @Option(names = "--out", description = "Also append the JSON result line to this file.")
  Path out;

  @Override
  public Integer call() throws Exception {
    Path scratch = profiles != null ? profiles : Files.createTempDirectory("parley-daemon-bench");
    Path data = serverData != null ? serverData : scratch.resolve("server");
    Result result = new Result("daemon");
    List<String> report = new ArrayList<>();
    try (TestServer server = TestServer.start(data, Clock.systemUTC(), b -> b)) {
      register(server, scratch.resolve("alice"), "+15554000001");
      register(server, scratch.resolve("bob"), "+15554000002");

      Histogram roundTrips = new Histogram(3);
      long lastEventId;
      try (Daemon alice = start(scratch.resolve("alice"));
          Daemon bob = start(scratch.resolve("bob"));
          Rpc rpc = Rpc.connect(alice.controlSockets().getFirst())) {
        for (int i = 0; i < 50 + sends; i++) {
          long t0 = System.nanoTime();
          JsonNode answer = rpc.call("send", "{\"recipient\":\"+15554000002\",\"message\":\"round trip " + i + "\"}");
          long micros = (System.nanoTime() - t0) / 1_000;
          if (!answer.path("result").path("status").asText().equals("sent")) {
            throw new IllegalStateException("a send failed: " + answer);
          }
          if (i >= 50) {
            roundTrips.recordValue(micros);
          }
        }
        result.latency("send_round_trip_ms", roundTrips);
        report.add(String.format(Locale.ROOT, "send round trip through JSON-RPC: p50 %.2f ms, p99 %.2f ms (%d sends)",
            roundTrips.getValueAtPercentile(50) / 1000.0, roundTrips.getValueAtPercentile(99) / 1000.0, sends));

        // Live: bob's subscriber counts events while alice's daemon sends as fast as it is answered,
        // on --senders connections at once (calls on one connection are answered one after another).
        try (Rpc subscriber = Rpc.connect(bob.controlSockets().getFirst())) {
          subscriber.call("subscribeReceive", null);
          long before = subscriber.messages();
          List<Rpc> connections = new ArrayList<>();
          for (int c = 0; c < senders; c++) {
            connections.add(Rpc.connect(alice.controlSockets().getFirst()));
          }
          long t0 = System.nanoTime();
          List<Thread> threads = new ArrayList<>();
          java.util.concurrent.atomic.AtomicReference<Exception> failed = new java.util.concurrent.atomic.AtomicReference<>();
          for (int c = 0; c < senders; c++) {
            Rpc connection = connections.get(c);
            int first = c;
            threads.add(Thread.ofPlatform().start(() -> {
              try {
                for (int i = first; i < events; i += senders) {
                  connection.call("send", "{\"recipient\":\"+15554000002\",\"message\":\"flow " + i + "\"}");
                }
              } catch (Exception e) {
                failed.compareAndSet(null, e);
              }
            }));
          }
          for (Thread thread : threads) {
            thread.join();
          }
          if (failed.get() != null) {
            throw failed.get();
          }
          subscriber.awaitMessages(before + events, Duration.ofMinutes(5));
          double live = events / ((System.nanoTime() - t0) / 1e9);
          for (Rpc connection : connections) {
            connection.close();
          }
          result.put("senders", senders);
          result.put("subscriber_live_events_per_s", Math.round(live));
          report.add(String.format(Locale.ROOT,
              "subscriber, live (%d sender connections; first send to last event): %.0f events/s", senders, live));
        }
        // Replayed: a subscriber that comes back and asks for everything kept.
        try (Rpc late = Rpc.connect(bob.controlSockets().getFirst())) {
          long t0 = System.nanoTime();
          late.call("subscribeReceive", "{\"since\":0}");
          long total = sends + 50 + events;
          late.awaitMessages(total, Duration.ofMinutes(5));
          double replay = total / ((System.nanoTime() - t0) / 1e9);
          result.put("subscriber_replay_events_per_s", Math.round(replay));
          report.add(String.format(Locale.ROOT, "subscriber, replayed from the event log: %.0f events/s", replay));
          lastEventId = late.lastEventId();
        }
      }

      if (parley != null) {
        Path alice = scratch.resolve("alice");
        // The floor: a JVM that starts, prints its help and exits, at this moment's load.
        long[] help = time(commands, "--help");
        String[] send = {"--profile", alice.toString(), "send", "--to", "+15554000002", "timed"};
        long[] standalone = time(commands, send);
        long[] through;
        try (Daemon daemon = start(alice)) {
          through = time(commands, send);
        }
        result.put("command_help_ms_median", median(help));
        result.put("command_standalone_ms_median", median(standalone));
        result.put("command_through_daemon_ms_median", median(through));
        report.add(String.format(Locale.ROOT,
            "'parley send' whole command: standalone %d ms, through the daemon %d ms; 'parley --help' %d ms (medians of %d)",
            median(standalone), median(through), median(help), commands));
      }

      // Received: what bob's daemon takes from the relay, decrypts, commits and hands to a subscriber
      // when it comes back to a queue of --events messages (the sender's pace is out of it). Last,
      // as it leaves bob's receipts queued for alice, which would slow the commands above.
      try (Daemon alice = start(scratch.resolve("alice"));
          Rpc rpc = Rpc.connect(alice.controlSockets().getFirst())) {
        for (int i = 0; i < events; i++) {
          rpc.call("send", "{\"recipient\":\"+15554000002\",\"message\":\"queued " + i + "\"}");
        }
      }
      try (Daemon bob = start(scratch.resolve("bob"));
          Rpc subscriber = Rpc.connect(bob.controlSockets().getFirst())) {
        subscriber.call("subscribeReceive", "{\"since\":" + lastEventId + "}");
        subscriber.awaitMessages(events, Duration.ofMinutes(5));
        double drained = (events - 1) / ((subscriber.lastMessageNanos() - subscriber.firstMessageNanos()) / 1e9);
        result.put("subscriber_received_events_per_s", Math.round(drained));
        report.add(String.format(Locale.ROOT,
            "subscriber, received from a queue of %d (first to last event): %.0f events/s", events, drained));
      }
    }
    if (profiles == null) {
      deleteTree(scratch); // its own scratch directory: profiles, and the relay's data unless given
    }
    report.addFirst(String.format(Locale.ROOT, "daemon: %d cores, load average %s", Runtime.getRuntime().availableProcessors(),
        Files.readString(Path.of("/proc/loadavg")).strip()));
    report.forEach(System.out::println);
    result.put("load_average", Files.readString(Path.of("/proc/loadavg")).strip());
    result.print(System.out, out);
    return 0;
  }

  private static void register(TestServer server, Path profile, String phone) {
    try (Device device = Device.open(profile, ClientConfig.defaults())) {
      device.requestCode(server.url(), phone, "bench");
      device.verify(server.sms().codeFor(phone));
    }
  }

  private static Daemon start(Path profile) {
    return Daemon.start(
        new Daemon.Options(List.of(profile), false, profile, null, null, null, null, Duration.ofDays(1),
            ClientConfig.defaults()));
  }

  /** Wall time of whole 'parley' runs (JVM start-up included), in ms. */
  private long[] time(int runs, String... args) throws IOException, InterruptedException {
    long[] ms = new long[runs];
    List<String> command = new ArrayList<>(List.of(parley.toString()));
    command.addAll(List.of(args));
    for (int i = 0; i < runs; i++) {
      long t0 = System.nanoTime();
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (process.waitFor() != 0) {
        throw new IllegalStateException("parley " + String.join(" ", args) + " failed: " + output);
      }
      ms[i] = (System.nanoTime() - t0) / 1_000_000;
    }
    return ms;
  }

  private static void deleteTree(Path directory) throws IOException {
    try (var paths = Files.walk(directory)) {
      for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }

  private static long median(long[] values) {
    long[] sorted = values.clone();
    java.util.Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  /** A JSON-RPC client on a daemon's UNIX socket that counts message notifications. */
  private static final class Rpc implements AutoCloseable {
    private final SocketChannel channel;
    private final OutputStream out;
    private final BufferedReader in;
    private final java.util.concurrent.BlockingQueue<JsonNode> answers = new java.util.concurrent.LinkedBlockingQueue<>();
    private final java.util.concurrent.atomic.AtomicLong messages = new java.util.concurrent.atomic.AtomicLong();
    private long ids;
    private volatile long lastEventId;
    private long firstMessage;
    private long lastMessage;

    private Rpc(SocketChannel channel) {
      this.channel = channel;
      this.out = Channels.newOutputStream(channel);
      this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
      Thread.ofPlatform().daemon().start(this::read);
    }

    static Rpc connect(Path socket) throws IOException {
      return new Rpc(SocketChannel.open(UnixDomainSocketAddress.of(socket)));
    }

    private void read() {
      try {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          JsonNode message = JSON.readTree(line);
          if (message.has("method")) {
            JsonNode event = message.path("params").path("result");
            lastEventId = Math.max(lastEventId, event.path("eventId").asLong());
            if (event.path("type").asText().equals("message")) {
              synchronized (messages) {
                long now = System.nanoTime();
                if (messages.incrementAndGet() == 1) {
                  firstMessage = now;
                }
                lastMessage = now;
                messages.notifyAll();
              }
            }
          } else {
            answers.add(message);
          }
        }
      } catch (IOException e) {
        // closed
      }
    }

    JsonNode call(String method, String params) throws Exception {
      String request = "{\"jsonrpc\":\"2.0\",\"id\":" + (++ids) + ",\"method\":\"" + method + "\""
          + (params == null ? "" : ",\"params\":" + params) + "}\n";
      out.write(request.getBytes(StandardCharsets.UTF_8));
      out.flush();
      JsonNode answer = answers.poll(60, TimeUnit.SECONDS);
      if (answer == null) {
        throw new IllegalStateException("no answer to " + method);
      }
      return answer;
    }

    long messages() {
      return messages.get();
    }

    long lastEventId() {
      return lastEventId;
    }

    long firstMessageNanos() {
      synchronized (messages) {
        return firstMessage;
      }
    }

    long lastMessageNanos() {
      synchronized (messages) {
        return lastMessage;
      }
    }

    void awaitMessages(long count, Duration limit) throws InterruptedException {
      long deadline = System.nanoTime() + limit.toNanos();
      synchronized (messages) {
        while (messages.get() < count) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            throw new IllegalStateException("only " + messages.get() + " of " + count + " events arrived");
          }
          messages.wait(Math.max(1, left / 1_000_000));
        }
      }
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }
}
