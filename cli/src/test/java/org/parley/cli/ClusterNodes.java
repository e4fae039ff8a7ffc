package org.parley.cli;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.parley.client.ClientConfig;
import org.parley.client.Device;

/**
 * Several {@code parley server} processes on one PostgreSQL database and one Redis (DESIGN.md §10),
 * each with a data directory of its own, and devices registered through any of them.
 */
final class ClusterNodes implements AutoCloseable {
  private final Path dir;
  private final String store;
  private final String redis;
  private final List<ServerProcess> nodes = new ArrayList<>();

  /**
   * @param store a {@code postgresql://} address of an empty database
   * @param redis a {@code redis://HOST:PORT} address; a key prefix of this cluster's own is added
   */
  ClusterNodes(Path dir, String store, String redis, int count) throws IOException {
    this.dir = dir;
    this.store = store;
    this.redis = redis + "?prefix=cluster-it-" + UUID.randomUUID().toString().substring(0, 8);
    // Started side by side: each waits for its JVM and its share of the schema migration.
    List<java.util.concurrent.Future<ServerProcess>> starting = new ArrayList<>();
    try (var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < count; i++) {
        String node = "n" + i;
        Path data = dir.resolve("node" + i);
        starting.add(threads.submit(
            () -> ServerProcess.start(data, "--store", store, "--redis", this.redis, "--node-id", node)));
      }
    }
    for (var node : starting) {
      try {
        nodes.add(node.get());
      } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
        close();
        throw new IOException("a cluster node did not start: " + e.getMessage(), e);
      }
    }
  }

  ServerProcess node(int i) {
    return nodes.get(i);
  }

  /** The comma-separated address list a device is given, starting with the listed nodes. */
  String urls(int... order) {
    List<String> urls = new ArrayList<>();
    for (int i : order) {
      urls.add(nodes.get(i).url());
    }
    return String.join(",", urls);
  }

  Device register(String name, String phone, String urls) {
    Device device = Device.open(dir.resolve(name), ClientConfig.defaults());
    device.requestCode(urls, phone, name);
    device.verify(code(phone));
    return device;
  }

  /** The verification code, printed by whichever node took the request. */
  private String code(String phone) {
    String[] found = new String[1];
    await().atMost(Duration.ofSeconds(20)).until(() -> {
      for (ServerProcess node : nodes) {
        String code = node.takeCode(phone);
        if (code != null) {
          found[0] = code;
          return true;
        }
      }
      return false;
    });
    return found[0];
  }

  @Override
  public void close() {
    nodes.forEach(ServerProcess::close);
  }
}
