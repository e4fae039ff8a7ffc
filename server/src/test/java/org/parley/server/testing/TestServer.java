package org.parley.server.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.function.UnaryOperator;
import org.parley.server.ParleyServer;
import org.parley.server.ServerConfig;

/**
 * A real relay for tests: real sockets on an ephemeral loopback port, a real SQLite file in a fresh
 * data directory, and a capturing SMS sender in place of the gateway.
 */
public final class TestServer implements AutoCloseable {
  private final Path data;
  private final CapturingSms sms = new CapturingSms();
  private final Clock clock;
  private final UnaryOperator<ServerConfig.Builder> options;
  private ParleyServer server;

  private TestServer(Path data, Clock clock, UnaryOperator<ServerConfig.Builder> options) {
    this.data = data;
    this.clock = clock;
    this.options = options;
  }

  public static TestServer start(Path data) {
    return start(data, Clock.systemUTC(), b -> b);
  }

  public static TestServer start(Path data, Clock clock, UnaryOperator<ServerConfig.Builder> options) {
    TestServer server = new TestServer(data, clock, options);
    for (int attempt = 1; ; attempt++) {
      try {
        server.restart(TestPorts.free());
        return server;
      } catch (RuntimeException e) {
        if (attempt == 5 || !TestPorts.taken(e)) {
          throw e;
        }
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** Starts (again) on the same data directory; port 0 picks a new ephemeral port. */
  public void restart(int port) {
    if (server != null) {
      server.close();
    }
    try {
      Files.createDirectories(data);
      server = ParleyServer.start(options.apply(ServerConfig.builder(data).port(port)).build(), clock, sms);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public String url() {
    return server.url();
  }

  public int port() {
    return server.port();
  }

  public CapturingSms sms() {
    return sms;
  }

  public ParleyServer server() {
    return server;
  }

  public Path data() {
    return data;
  }

  /** The files holding blob bytes (uploaded or being uploaded) in the data directory; the blob index aside. */
  public java.util.List<String> blobFiles() {
    Path blobs = data.resolve("blobs");
    if (!Files.isDirectory(blobs)) {
      return java.util.List.of();
    }
    try (java.util.stream.Stream<Path> files = Files.list(blobs)) {
      return files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".blob") || n.endsWith(".part")).toList();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    if (server != null) {
      server.close();
      server = null;
    }
  }
}
