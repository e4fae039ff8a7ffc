package org.parley.bench.server;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.List;
import org.parley.server.Limits;
import org.parley.server.limits.Rates;
import org.parley.server.ParleyServer;
import org.parley.server.ServerConfig;
import org.parley.server.registration.ConsoleSmsSender;
import org.parley.server.transport.Transport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Starts the relay exactly as {@code parley server} does (embedded SQLite, console SMS), except
 * that the per-address, per-phone and per-account rate limits are raised: a benchmark registers
 * thousands of accounts from one address, which the defaults rightly refuse.
 *
 * <p>Prints {@code listening on ws://HOST:PORT} when ready. With {@code --control-stdin} it also
 * takes commands on stdin ({@code stats}: collect garbage and print the heap in use) and exits
 * when stdin closes, so a server spawned by the bench never outlives it.
 */
@Command(
    name = "server",
    mixinStandardHelpOptions = true,
    description = "Run a Parley relay for benchmarking (rate limits raised; everything else default).")
public final class BenchServer implements Callable<Integer> {
  @Option(names = "--data", required = true, description = "Data directory (SQLite file parley.db).")
  Path data;

  @Option(names = "--bind", defaultValue = "127.0.0.1", description = "Address to bind (default ${DEFAULT-VALUE}).")
  String bind;

  @Option(names = "--port", defaultValue = "8080", description = "Port; 0 picks a free one (default ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--default-limits", description = "Keep the default rate limits (bulk registration will be refused).")
  boolean defaultLimits;

  @Option(names = "--no-rate-limits", description = "No token bucket at all (to measure what the limits cost).")
  boolean noRateLimits;

  @Option(names = "--control-stdin", description = "Take 'stats' on stdin and exit when stdin closes.")
  boolean controlStdin;

  /**
   * The limits a benchmark needs: everything as shipped (the per-account message and byte rates
   * included) but the limits on bulk set-up from one address: registration, lookups, key fetches,
   * link tokens, group creation, and the caps on connections without credentials.
   */
  public static Limits benchLimits() {
    // Refilled within a millisecond, so the limiter forgets these buckets instead of sweeping thousands.
    String bulk = "1000000,1000000/1ms";
    Rates rates = Rates.defaults();
    for (String name :
        List.of(
            Rates.UNAUTHENTICATED_REQUESTS, Rates.CODE_REQUESTS_DAILY, Rates.CODE_GUESSES,
            Rates.SMS_PER_ADDRESS, Rates.LOOKUPS, Rates.KEY_FETCHES, Rates.LINK_TOKENS, Rates.PROVISIONING_MESSAGES, Rates.GROUP_CREATIONS)) {
      rates = rates.with(name, bulk);
    }
    rates = rates.with(Rates.CODE_REQUEST_BACKOFF, "1000000,1ms,1ms,1ms");
    return Limits.defaults().toBuilder()
        .rates(rates)
        .maxUnauthenticatedPerAddress(1_000_000)
        .unauthenticatedTimeout(Duration.ofMinutes(10))
        .build();
  }

  /** Attachments up to 4 GiB (the attachment mode's largest file is 2 GB); everything else as shipped. */
  public static org.parley.server.blobs.BlobLimits benchBlobLimits() {
    long gib = 1024L * 1024 * 1024;
    return org.parley.server.blobs.BlobLimits.defaults()
        .withMaxAttachmentBytes(4 * gib)
        .withMaxBytesPerAccount(16 * gib);
  }

  @Option(names = "--ack-hold-ms", defaultValue = "-1", description = "The writer's ack hold in milliseconds (parley server --ack-hold); -1 keeps the server's default.")
  long ackHoldMs;

  @Option(names = "--store", description = "Clustered: this shared PostgreSQL (postgresql://HOST:PORT/DB?user=..) instead of SQLite.")
  String store;

  @Option(names = "--redis", description = "Clustered: wake other nodes through this Redis (redis://HOST:PORT).")
  String redis;

  @Option(names = "--transport", description = "Socket API of the server's event loops: " + Transport.CHOICES + " (default: " + Transport.DEFAULT_DESCRIPTION + ").")
  String transport;

  @Override
  public Integer call() throws Exception {
    Files.createDirectories(data);
    ServerConfig.Builder builder =
        ServerConfig.builder(data)
            .bind(bind)
            .port(port)
            .limits(defaultLimits ? Limits.defaults() : benchLimits())
            .cluster(new org.parley.server.cluster.ClusterOptions(store, redis, null))
            .rateLimits(!noRateLimits)
            .blobLimits(benchBlobLimits())
            .transport(transport);
    if (ackHoldMs >= 0) {
      builder.ackHold(Duration.ofMillis(ackHoldMs));
    }
    ServerConfig config = builder.build();
    ParleyServer server = ParleyServer.start(config, Clock.systemUTC(), new ConsoleSmsSender(System.out));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }));
    System.out.println("listening on " + server.url());
    System.out.flush();
    if (controlStdin) {
      readCommands();
      System.exit(0);
    }
    stopped.await();
    return 0;
  }

  private static void readCommands() throws java.io.IOException {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.strip().equals("stats")) {
        // Twice: the first collection may leave work for finalisation/cleaners.
        System.gc();
        System.gc();
        long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        long direct =
            ManagementFactory.getPlatformMXBeans(java.lang.management.BufferPoolMXBean.class).stream()
                .mapToLong(java.lang.management.BufferPoolMXBean::getMemoryUsed)
                .sum();
        // Netty 4.2's default allocator (adaptive) keeps its own count, outside the JDK's pools.
        long netty =
            io.netty.buffer.ByteBufAllocator.DEFAULT instanceof io.netty.buffer.ByteBufAllocatorMetricProvider metered
                ? metered.metric().usedDirectMemory()
                : 0;
        System.out.println("stats heap_used=" + used + " direct_used=" + (direct + netty));
        System.out.flush();
      }
    }
  }

  public static void main(String[] args) {
    System.exit(new picocli.CommandLine(new BenchServer()).execute(args));
  }
}
