package org.parley.bench.modes;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.parley.bench.CommonOptions;
import org.parley.bench.net.WsClient;
import org.parley.bench.report.Result;
import org.parley.bench.server.ClusterServer;
import org.parley.bench.server.ServerHandle;
import org.parley.client.ClientConfig;
import org.parley.client.ClientException;
import org.parley.client.Device;
import org.parley.client.events.MessageEvent;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "failover",
    mixinStandardHelpOptions = true,
    description = {
      "A node killed with SIGKILL under steady load (needs --server-nodes 2 or more, --server-store and"
          + " --server-redis): real client devices (the parley library, every node's address, moving to the"
          + " next when theirs dies); senders on the other nodes send to receivers spread over all nodes.",
      "Reports the failover time (kill -> each receiver of the killed node takes in a message sent after"
          + " the kill), and the envelopes lost (answered 'sent' but never taken in) and taken in twice."
    })
public final class FailoverMode implements Callable<Integer> {
  @Mixin CommonOptions common;

  @Option(names = "--receivers", defaultValue = "6", description = "Receiving accounts, spread over the nodes (default ${DEFAULT-VALUE}).")
  int receivers;

  @Option(names = "--senders", defaultValue = "2", description = "Sending accounts, on the nodes that survive (default ${DEFAULT-VALUE}).")
  int senders;

  @Option(names = "--before", defaultValue = "5", description = "Seconds of load before the kill (default ${DEFAULT-VALUE}).")
  double before;

  @Option(names = "--after", defaultValue = "10", description = "Seconds of load after the kill (default ${DEFAULT-VALUE}).")
  double after;

  @Override
  public Integer call() throws Exception {
    return common.run(this::measure);
  }

  public Result measure(ServerHandle server, WsClient client) throws Exception {
    if (!(server instanceof ClusterServer cluster) || cluster.urls().size() < 2) {
      throw new IllegalArgumentException(
          "failover needs a cluster: --server-nodes 2 (or more) --server-store postgresql://... --server-redis redis://...");
    }
    List<String> urls = cluster.urls();
    int nodes = urls.size();
    Path profiles = Files.createTempDirectory("parley-bench-failover");
    List<Device> open = new ArrayList<>();
    try {
      // Receiver i starts on node i mod N (node 0 is killed); senders start on node 1 and up.
      List<Device> receiving = new ArrayList<>();
      List<String> receiverPhones = new ArrayList<>();
      for (int i = 0; i < receivers; i++) {
        String phone = String.format("+1555017%04d", i);
        receiving.add(register(server, profiles, open, phone, rotated(urls, i % nodes)));
        receiverPhones.add(phone);
      }
      List<Device> sending = new ArrayList<>();
      for (int i = 0; i < senders; i++) {
        sending.add(register(server, profiles, open, String.format("+1555018%04d", i), rotated(urls, 1 + i % (nodes - 1))));
      }
      System.err.printf("registered %d receivers and %d senders over %d nodes%n", receivers, senders, nodes);

      Map<String, Long> ackedAt = new ConcurrentHashMap<>();
      Map<String, String> ackedTo = new ConcurrentHashMap<>();
      Map<String, Long> firstAfterKill = new ConcurrentHashMap<>();
      AtomicLong killedAt = new AtomicLong(Long.MAX_VALUE);
      AtomicBoolean sendingOn = new AtomicBoolean(true);
      AtomicBoolean receivingOn = new AtomicBoolean(true);
      AtomicLong refused = new AtomicLong();
      List<Thread> threads = new ArrayList<>();
      for (int r = 0; r < receivers; r++) {
        Device device = receiving.get(r);
        String phone = receiverPhones.get(r);
        threads.add(Thread.ofPlatform().start(() -> {
          while (receivingOn.get()) {
            try {
              device.receive(Duration.ofMillis(300), event -> {
                if (event instanceof MessageEvent m && !m.outgoing()
                    && ackedAt.getOrDefault(m.body(), 0L) > killedAt.get()) {
                  firstAfterKill.putIfAbsent(phone, System.nanoTime());
                }
              });
            } catch (ClientException e) {
              pause(); // reconnect backoff, as a daemon would
            }
          }
        }));
      }
      // Sessions first (the first message to a device sets one up), outside the measurement.
      for (int s = 0; s < senders; s++) {
        for (String to : receiverPhones) {
          String body = "warm-" + s + "-" + to;
          sending.get(s).sendText(to, body);
          ackedAt.put(body, System.nanoTime());
          ackedTo.put(body, to);
        }
      }
      long warmBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!allArrived(ackedTo, takenIn(receiving, receiverPhones)) && System.nanoTime() < warmBy) {
        Thread.sleep(200);
      }
      System.err.println("sessions set up; steady load");
      long warm = ackedTo.size();
      for (int s = 0; s < senders; s++) {
        Device device = sending.get(s);
        String name = "s" + s;
        threads.add(Thread.ofPlatform().start(() -> {
          for (int n = 0; sendingOn.get(); n++) {
            String to = receiverPhones.get(n % receivers);
            String body = name + "-" + n;
            try {
              device.sendText(to, body);
              ackedAt.put(body, System.nanoTime());
              ackedTo.put(body, to);
            } catch (ClientException e) {
              refused.incrementAndGet(); // not "sent": may or may not be stored, must not arrive twice either way
            }
          }
        }));
      }
      Thread.sleep((long) (before * 1000));
      long sentBeforeKill = ackedAt.size() - warm;
      cluster.kill(0);
      killedAt.set(System.nanoTime());
      System.err.println("node 0 killed");
      Thread.sleep((long) (after * 1000));
      sendingOn.set(false);
      // Let everything answered "sent" arrive: at most 30 s.
      long settleBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      Map<String, Map<String, Integer>> taken = new HashMap<>();
      while (true) {
        taken = takenIn(receiving, receiverPhones);
        if (allArrived(ackedTo, taken) || System.nanoTime() > settleBy) {
          break;
        }
        Thread.sleep(200);
      }
      receivingOn.set(false);
      for (Thread thread : threads) {
        thread.join();
      }
      taken = takenIn(receiving, receiverPhones);

      long lost = 0;
      for (Map.Entry<String, String> acked : ackedTo.entrySet()) {
        if (!taken.get(acked.getValue()).containsKey(acked.getKey())) {
          lost++;
          System.err.printf("lost: %s to %s, answered 'sent' %.0f ms after the kill%n",
              acked.getKey(), acked.getValue(), (ackedAt.get(acked.getKey()) - killedAt.get()) / 1e6);
        }
      }
      long twice = taken.values().stream().flatMap(m -> m.values().stream()).filter(c -> c > 1).mapToLong(c -> c - 1).sum();
      List<Double> failoverMs = new ArrayList<>();
      for (int r = 0; r < receivers; r++) {
        if (r % nodes == 0) {
          Long at = firstAfterKill.get(receiverPhones.get(r));
          failoverMs.add(at == null ? -1 : Result.round((at - killedAt.get()) / 1e6));
        }
      }
      Result result = new Result("failover");
      result.put("nodes", nodes);
      result.put("receivers", receivers);
      result.put("senders", senders);
      result.put("messages_sent_before_kill", sentBeforeKill);
      result.put("messages_sent", ackedTo.size() - warm);
      result.put("waiting_placeholders", receiving.stream()
          .mapToLong(d -> d.events().after(0, 10_000_000).stream()
              .filter(l -> l.event() instanceof org.parley.client.events.WaitingEvent).count())
          .sum());
      result.put("sends_refused", refused.get());
      result.put("failover_ms_killed_node_receivers", failoverMs);
      result.put("failover_ms_max", failoverMs.stream().mapToDouble(Double::doubleValue).max().orElse(-1));
      result.put("lost", lost);
      result.put("duplicated", twice);
      return result;
    } finally {
      open.forEach(Device::close);
      try (var paths = Files.walk(profiles)) {
        paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static Device register(ServerHandle server, Path profiles, List<Device> open, String phone, String urls)
      throws Exception {
    Device device = Device.open(profiles.resolve(phone), ClientConfig.defaults());
    open.add(device);
    var code = server.code(phone);
    device.requestCode(urls, phone, "bench");
    device.verify(code.get(30, TimeUnit.SECONDS));
    return device;
  }

  /** Every node's address, starting with node {@code first}: where the device goes, and in what order it moves on. */
  private static String rotated(List<String> urls, int first) {
    List<String> order = new ArrayList<>();
    for (int i = 0; i < urls.size(); i++) {
      order.add(urls.get((first + i) % urls.size()));
    }
    return String.join(",", order);
  }

  /** What each receiver has taken in, by body and how often: its event log, written with the message. */
  private static Map<String, Map<String, Integer>> takenIn(List<Device> receiving, List<String> phones) {
    Map<String, Map<String, Integer>> out = new HashMap<>();
    for (int r = 0; r < receiving.size(); r++) {
      Map<String, Integer> counts = new HashMap<>();
      receiving.get(r).events().after(0, 10_000_000).stream()
          .map(logged -> logged.event())
          .filter(event -> event instanceof MessageEvent m && !m.outgoing())
          .forEach(event -> counts.merge(((MessageEvent) event).body(), 1, Integer::sum));
      out.put(phones.get(r), counts);
    }
    return out;
  }

  private static boolean allArrived(Map<String, String> ackedTo, Map<String, Map<String, Integer>> taken) {
    return ackedTo.entrySet().stream().allMatch(a -> taken.get(a.getValue()).containsKey(a.getKey()));
  }

  private static void pause() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
