package org.parley.bench.server;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Several relay nodes started by the bench on one PostgreSQL and one Redis (docs/operating.md, clustered), as one
 * server under test: devices are spread over the nodes (the bench's client connects to them in
 * turn), a verification code comes from whichever node took the request, and the CPU and memory
 * figures are those of all nodes together.
 */
public final class ClusterServer implements ServerHandle {
  private final List<SpawnedServer> nodes = new ArrayList<>();

  /** @param serverArgs the nodes' common options ({@code --store}, {@code --redis}, ...) */
  public ClusterServer(Path data, int count, List<String> jvmOptions, String cpus, List<String> serverArgs)
      throws IOException {
    try {
      // The first node creates the schema; the others start once it has.
      for (int i = 0; i < count; i++) {
        nodes.add(new SpawnedServer(data.resolve("node" + i), jvmOptions, cpus, serverArgs));
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  /** Every node's ws:// address. */
  public List<String> urls() {
    return nodes.stream().map(SpawnedServer::url).toList();
  }

  /** Kills node {@code i} with SIGKILL. */
  public void kill(int i) throws InterruptedException {
    nodes.get(i).killHard();
  }

  @Override
  public String url() {
    return nodes.getFirst().url();
  }

  @Override
  public CompletableFuture<String> code(String phone) {
    List<CompletableFuture<String>> waiting = nodes.stream().map(node -> node.code(phone)).toList();
    return CompletableFuture.anyOf(waiting.toArray(CompletableFuture[]::new)).thenApply(code -> (String) code);
  }

  @Override
  public ProcessStats stats() {
    return ProcessStats.sum(nodes.stream().map(SpawnedServer::stats).toList());
  }

  @Override
  public void close() {
    nodes.forEach(SpawnedServer::close);
  }
}
