package org.parley.server.ops;

import io.netty.channel.ChannelHandler;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.parley.server.messages.Presence;
import org.parley.server.store.Storage;
import org.parley.server.transport.Session;
import org.parley.server.transport.SessionListener;

/**
 * What an operator watches and steers a running server by: its meters, its readiness, the health
 * endpoints on the devices' port and the admin listener. The server wires it in; it wires itself.
 */
public final class Operations implements AutoCloseable {
  private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(2);

  private final ServerMetrics metrics = new ServerMetrics();
  private final Readiness readiness;
  private final Executor blocking;
  private AdminServer admin;
  private String adminUrl;
  private java.nio.file.Path dataDirectory;

  public Operations(Storage storage, Executor blocking) {
    this.blocking = blocking;
    this.readiness = new Readiness(blocking, CHECK_TIMEOUT).register("store", storage::probe);
  }

  public ServerMetrics metrics() {
    return metrics;
  }

  /** Where subsystems add their own checks (the cluster's Redis). */
  public Readiness readiness() {
    return readiness;
  }

  /** Counts connections by kind as they open and close. */
  public SessionListener connections() {
    return new SessionListener() {
      @Override
      public void opened(Session session) {
        metrics.opened(session.kind());
      }

      @Override
      public void closed(Session session) {
        metrics.closed(session.kind());
      }
    };
  }

  /** {@code /health/live} and {@code /health/ready} on the devices' port. */
  public Supplier<ChannelHandler> healthEndpoint() {
    return () -> new HealthHandler(readiness);
  }

  /**
   * Opens the admin listener and writes where it is, with a fresh token, to the data directory's
   * {@code admin.properties}.
   */
  public void openAdmin(
      String host, int port, java.nio.file.Path dataDirectory, Storage storage, Presence presence, Clock clock)
      throws InterruptedException {
    AdminApi api = new AdminApi(storage, presence, clock, dataDirectory, readiness);
    String token = AdminEndpointFile.newToken();
    this.admin = new AdminServer(host, port, () -> new AdminHandler(metrics, readiness, api, token, blocking));
    String shown = host.contains(":") ? "[" + host + "]" : host;
    this.adminUrl = "http://" + shown + ":" + admin.port();
    this.dataDirectory = dataDirectory;
    AdminEndpointFile.write(dataDirectory, adminUrl, token);
  }

  /** The admin listener's address, as written to {@code admin.properties}. */
  public String adminUrl() {
    return adminUrl;
  }

  @Override
  public void close() {
    if (admin != null) {
      AdminEndpointFile.remove(dataDirectory);
      admin.close();
    }
    metrics.close();
  }
}
