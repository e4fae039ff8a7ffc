package org.parley.bench.modes;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.parley.bench.CommonOptions;
import org.parley.bench.net.WsClient;
import org.parley.bench.net.WsConnection;
import org.parley.bench.population.BenchDevice;
import org.parley.bench.population.BenchUser;
import org.parley.bench.population.KeyPool;
import org.parley.bench.population.Population;
import org.parley.bench.report.Result;
import org.parley.bench.server.ServerHandle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "connections",
    mixinStandardHelpOptions = true,
    description = {
      "How many idle authenticated devices one server holds, and what each costs it: registers"
          + " DEVICES accounts, measures the server's heap (after a full GC) and resident memory, connects"
          + " every device as its receiving connection, waits, and measures again.",
      "Each loopback source address has ~28,000 ephemeral ports (see --source-addresses); both processes"
          + " need one file descriptor per connection ('ulimit -n')."
    })
public final class ConnectionsMode implements Callable<Integer> {
  @Mixin CommonOptions common;

  @Option(names = "--devices", defaultValue = "10000", description = "Devices to connect (one account each; default ${DEFAULT-VALUE}).")
  int devices;

  @Option(names = "--hold", defaultValue = "10", description = "Seconds to hold them idle before measuring (default ${DEFAULT-VALUE}).")
  double hold;

  @Option(names = "--connect-parallel", defaultValue = "256", description = "Connections being opened at once (default ${DEFAULT-VALUE}).")
  int connectParallel;

  @Option(names = "--register-parallel", defaultValue = "64", description = "Registrations in flight (default ${DEFAULT-VALUE}).")
  int registerParallel;

  @Override
  public Integer call() throws Exception {
    long limit = openFilesLimit();
    if (limit > 0 && devices + 200 > limit) {
      System.err.printf(
          "warning: %d connections need as many file descriptors in this process and in the server, but"
              + " the limit is %d ('ulimit -n'); expect failures past ~%d%n", devices, limit, limit - 200);
    }
    return common.run(this::measure);
  }

  public Result measure(ServerHandle server, WsClient client) throws Exception {
    long t0 = System.nanoTime();
    List<BenchUser> users = new Population(server, client, new KeyPool(16)).register(devices, 1, registerParallel);
    double registerSeconds = (System.nanoTime() - t0) / 1e9;
    System.err.printf("registered %d devices in %.1f s; connecting%n", devices, registerSeconds);
    List<BenchDevice> all = new ArrayList<>();
    users.forEach(u -> all.addAll(u.devices()));

    OptionalLong heapBefore = server.heapAfterGc();
    long directBefore = server.directMemory().orElse(-1);
    long rssBefore = server.stats().rssBytes();
    CountDownLatch ready = new CountDownLatch(all.size());
    long t1 = System.nanoTime();
    List<WsConnection> connections =
        Connector.connectAll(client, all, true, i -> push -> {
          if (push.hasQueueEmpty()) {
            ready.countDown();
          }
        }, connectParallel);
    if (!ready.await(300, TimeUnit.SECONDS)) {
      throw new IllegalStateException(ready.getCount() + " devices never got their queue-empty signal");
    }
    double connectSeconds = (System.nanoTime() - t1) / 1e9;
    System.err.printf("%d devices connected in %.1f s; holding %.0f s%n", all.size(), connectSeconds, hold);
    org.parley.bench.report.MeasuredWindow.sleepUntil(System.nanoTime() + (long) (hold * 1e9));
    long open = connections.stream().filter(WsConnection::isOpen).count();
    OptionalLong heapAfter = server.heapAfterGc();
    long directAfter = server.directMemory().orElse(-1);
    long rssAfter = server.stats().rssBytes();

    Result result = new Result("connections");
    result.put("devices", devices);
    result.put("source_addresses", common.sourceAddresses());
    result.put("registration_s", Result.round(registerSeconds));
    result.put("connect_s", Result.round(connectSeconds));
    result.put("connects_per_s", Result.round(all.size() / connectSeconds));
    result.put("still_open_after_hold", open);
    if (heapBefore.isPresent() && heapAfter.isPresent()) {
      long heap = heapAfter.getAsLong() - heapBefore.getAsLong();
      result.put("server_heap_per_connection_bytes", heap / Math.max(1, open));
      if (directBefore >= 0 && directAfter >= 0) {
        result.put("server_direct_per_connection_bytes", (directAfter - directBefore) / Math.max(1, open));
      }
    }
    if (rssBefore > 0 && rssAfter > 0) {
      result.put("server_rss_per_connection_bytes", (rssAfter - rssBefore) / Math.max(1, open));
      result.put("server_rss_mb", rssAfter >> 20);
    }
    result.put("note", "kernel socket memory is not in the server's RSS; heap is measured after a full GC");
    connections.forEach(WsConnection::abort);
    return result;
  }

  static long openFilesLimit() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      return unix.getMaxFileDescriptorCount();
    }
    return -1;
  }
}
