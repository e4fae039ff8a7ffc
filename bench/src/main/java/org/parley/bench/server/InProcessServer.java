package org.parley.bench.server;

import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import org.parley.server.ParleyServer;
import org.parley.server.ServerConfig;

/**
 * A relay in the bench's own JVM, for the smoke test that keeps the modes from rotting. Not for
 * figures: the load generator and the server would share one heap and one set of threads.
 */
public final class InProcessServer implements ServerHandle {
  private final CodeBook codes = new CodeBook();
  private final ParleyServer server;
  private final ProcessStats stats = new ProcessStats(ProcessHandle.current().pid());

  public InProcessServer(Path data) throws InterruptedException {
    this.server =
        ParleyServer.start(
            ServerConfig.builder(data).port(0).limits(BenchServer.benchLimits()).build(),
            Clock.systemUTC(),
            (phone, code) -> codes.offer("verification code for " + phone + ": " + code));
  }

  @Override
  public String url() {
    return server.url();
  }

  @Override
  public CompletableFuture<String> code(String phone) {
    return codes.code(phone);
  }

  @Override
  public ProcessStats stats() {
    return stats;
  }

  @Override
  public void close() {
    server.close();
  }
}
