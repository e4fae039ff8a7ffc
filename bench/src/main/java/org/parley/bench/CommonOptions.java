package org.parley.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.parley.bench.net.WsClient;
import org.parley.bench.report.Result;
import org.parley.bench.server.ClusterServer;
import org.parley.bench.server.ExternalServer;
import org.parley.bench.server.ServerHandle;
import org.parley.bench.server.SpawnedServer;
import org.parley.server.transport.Transport;
import picocli.CommandLine.Option;

/** How every mode finds (or starts) its server and how it connects to it. */
public final class CommonOptions {
  @Option(
      names = "--server",
      description = "Drive a running server at this ws:// URL instead of starting one. It must run with"
          + " raised rate limits (parley-bench server does) and print its codes to --codes.")
  String serverUrl;

  @Option(names = "--codes", description = "With --server: the file the server's stdout goes to (verification codes are read from it).")
  Path codesFile;

  @Option(names = "--server-pid", defaultValue = "0", description = "With --server: its pid, for CPU and memory figures.")
  long serverPid;

  @Option(names = "--server-data", description = "Data directory of the server the bench starts (default: a fresh one under /tmp, deleted afterwards).")
  Path serverData;

  @Option(names = "--server-jvm", defaultValue = "", description = "Extra JVM options of the server the bench starts, space separated (e.g. \"-Xmx4g -XX:StartFlightRecording=filename=relay.jfr\").")
  String serverJvm;

  @Option(
      names = "--server-store",
      description = "The server the bench starts runs clustered on this PostgreSQL (postgresql://HOST:PORT/DB?user=..,"
          + " an empty database) instead of its embedded SQLite.")
  String serverStore;

  @Option(
      names = "--server-redis",
      description = "With --server-store: the nodes the bench starts wake each other (and share rate limits) through"
          + " this Redis (redis://HOST:PORT?prefix=NAME).")
  String serverRedis;

  @Option(
      names = "--server-nodes",
      defaultValue = "1",
      description = "With --server-store and --server-redis: start this many nodes and spread the devices over them"
          + " (default ${DEFAULT-VALUE}).")
  int serverNodes;

  @Option(names = "--server-rate-limits", defaultValue = "on", description = "on: the shipped per-account message and byte limits apply (bulk registration limits are raised either way); off: no rate limit at all, to measure what they cost (default ${DEFAULT-VALUE}).")
  String serverRateLimits;

  @Option(
      names = "--server-transport",
      description = "Socket API of the server the bench starts: auto, io_uring, epoll or nio (default: the server's own default).")
  String serverTransport;

  @Option(names = "--server-ack-hold-ms", defaultValue = "-1", description = "The ack hold of the server the bench starts, in milliseconds (its --ack-hold; 0 holds nothing); -1 keeps the default.")
  long serverAckHoldMs;

  @Option(names = "--server-cpus", description = "Pin the server the bench starts to these CPUs (taskset list, e.g. 0).")
  String serverCpus;

  @Option(names = "--client-threads", defaultValue = "2", description = "Event loop threads of the bench's full WebSocket client (default ${DEFAULT-VALUE}); the relay's lean driver runs its load on one.")
  int clientThreads;

  @Option(names = "--source-addresses", defaultValue = "1", description = "Spread connections over 127.0.0.1..127.0.0.N (each has ~28,000 ephemeral ports; default ${DEFAULT-VALUE}).")
  int sourceAddresses;

  @Option(names = "--out", description = "Also append the JSON result line to this file.")
  Path out;

  private Path madeData;

  public ServerHandle startServer() throws IOException {
    if (serverUrl != null) {
      if (codesFile == null) {
        throw new IllegalArgumentException(
            "--server needs --codes FILE: the file the server's stdout (its verification codes) goes to");
      }
      return new ExternalServer(serverUrl, codesFile, serverPid);
    }
    Path data = serverData;
    if (data == null) {
      data = Files.createTempDirectory("parley-bench-server");
      madeData = data;
    }
    List<String> jvm = serverJvm.isBlank() ? List.of() : Arrays.asList(serverJvm.strip().split("\\s+"));
    if (!serverRateLimits.equals("on") && !serverRateLimits.equals("off")) {
      throw new IllegalArgumentException("--server-rate-limits is on or off");
    }
    List<String> args = new java.util.ArrayList<>();
    if (serverStore != null) {
      args.addAll(List.of("--store", serverStore));
    }
    if (serverRedis != null) {
      args.addAll(List.of("--redis", serverRedis));
    }
    if (serverRateLimits.equals("off")) {
      args.add("--no-rate-limits");
    }
    if (serverTransport != null) {
      args.addAll(List.of("--transport", serverTransport));
    }
    if (serverAckHoldMs >= 0) {
      args.addAll(List.of("--ack-hold-ms", Long.toString(serverAckHoldMs)));
    }
    if (serverNodes > 1) {
      if (serverStore == null || serverRedis == null) {
        throw new IllegalArgumentException("--server-nodes above 1 needs --server-store and --server-redis: the nodes share both");
      }
      return new ClusterServer(data, serverNodes, jvm, serverCpus, args);
    }
    return new SpawnedServer(data, jvm, serverCpus, args);
  }

  /** Removes the data directory the bench made for its own server. */
  void cleanUp() {
    if (madeData == null) {
      return;
    }
    try (var paths = Files.walk(madeData)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      System.err.println("could not delete " + madeData + ": " + e.getMessage());
    }
  }

  public WsClient client(ServerHandle server) {
    List<URI> urls =
        server instanceof ClusterServer cluster
            ? cluster.urls().stream().map(URI::create).toList()
            : List.of(URI.create(server.url()));
    return new WsClient(urls, clientThreads, WsClient.loopbackSources(sourceAddresses));
  }

  public int sourceAddresses() {
    return sourceAddresses;
  }

  public Path out() {
    return out;
  }

  /** A mode's measurement, given its server and a client connected to it. */
  @FunctionalInterface
  public interface Measurement {
    Result measure(ServerHandle server, WsClient client) throws Exception;
  }

  /** Starts (or finds) the server, measures, prints the table and the JSON line, cleans up. */
  public int run(Measurement measurement) throws Exception {
    try (ServerHandle server = startServer();
        WsClient client = client(server)) {
      Result result = measurement.measure(server, client);
      result.put(
          "server",
          serverUrl != null
              ? "external " + serverUrl
              : serverRateLimits.equals("off")
                  ? "spawned (parley-bench server, no rate limits)"
                  : "spawned (parley-bench server, shipped message limits, registration limits raised)");
      // Which side of the limits-on/off comparison (BENCHMARKS.md, issue 11) this line is.
      result.put("server_rate_limits", serverUrl != null ? "external" : serverRateLimits);
      result.put("server_transport", serverUrl != null ? "external" : serverTransport == null ? "default (" + Transport.DEFAULT_DESCRIPTION + ")" : serverTransport);
      result.print(System.out, out);
      return 0;
    } finally {
      cleanUp();
    }
  }
}
