package org.parley.server;

import java.nio.file.Path;
import java.time.Duration;
import org.parley.server.blobs.BlobLimits;
import org.parley.server.cluster.ClusterOptions;

/**
 * What {@code parley server} was told (DESIGN.md §12).
 *
 * @param tlsCertificate PEM certificate chain, or {@code null} for plain ws://
 * @param insecureBind allow plain ws:// on an address other than loopback
 * @param sms "console" or "webhook:URL"
 * @param cluster the shared store and the wake-ups between nodes; embedded when not clustered
 * @param adminBind address of the admin listener (metrics, health, {@code parley admin})
 * @param adminPort its port; 0 picks a free one, written to the data directory's admin.properties
 * @param drainTimeout how long a stopping server waits for in-flight work before it closes anyway
 * @param rateLimits whether the token buckets of {@link Limits#rates()} apply (off only to measure
 *     what they cost)
 * @param trustedProxies CIDR blocks of reverse proxies whose PROXY protocol header or
 *     X-Forwarded-For names the client address; from any other peer both are ignored
 * @param ackHold how long the embedded store's writer holds back envelopes already pushed to their
 *     devices, waiting for their acks (an envelope acked first is never written); zero holds nothing
 * @param transport the socket API of the event loops: auto, io_uring, epoll or nio, or null for the
 *     default (see {@link org.parley.server.transport.Transport})
 */
public record ServerConfig(
    Path dataDirectory,
    String bindHost,
    int port,
    Path tlsCertificate,
    Path tlsKey,
    boolean insecureBind,
    Duration primaryInactivity,
    Duration companionInactivity,
    int maxCompanions,
    Duration queueTtl,
    String sms,
    Limits limits,
    BlobLimits blobLimits,
    ClusterOptions cluster,
    String adminBind,
    int adminPort,
    Duration drainTimeout,

    boolean rateLimits,
    java.util.List<String> trustedProxies,
    Duration ackHold,
    String transport) {

  /**
   * The longest {@code --ack-hold}: a hold delays every "sent" behind it by up to that long, and a
   * device acks in milliseconds; past seconds it only keeps senders waiting.
   */
  public static final Duration MAX_ACK_HOLD = Duration.ofSeconds(10);

  public ServerConfig {
    if (ackHold.isNegative() || ackHold.compareTo(MAX_ACK_HOLD) > 0) {
      throw new IllegalArgumentException(
          "--ack-hold must be between 0 (no hold) and " + MAX_ACK_HOLD.toSeconds() + "s; it was " + ackHold.toMillis() + "ms");
    }
  }

  public static Builder builder(Path dataDirectory) {
    return new Builder(dataDirectory);
  }

  public boolean tls() {
    return tlsCertificate != null;
  }

  public static final class Builder {
    private final Path dataDirectory;
    private String bindHost = "127.0.0.1";
    private int port = 8080;
    private Path tlsCertificate;
    private Path tlsKey;
    private boolean insecureBind;
    private Duration primaryInactivity = Duration.ofDays(14);
    private Duration companionInactivity = Duration.ofDays(30);
    private int maxCompanions = 4;
    private Duration queueTtl = Duration.ofDays(30);
    private String sms = "console";
    private Limits limits = Limits.defaults();
    private BlobLimits blobLimits = BlobLimits.defaults();
    private ClusterOptions cluster = ClusterOptions.embedded();
    private String adminBind = "127.0.0.1";
    private int adminPort;
    private Duration drainTimeout = Duration.ofSeconds(30);
    private Duration ackHold = Duration.ofNanos(org.parley.server.store.WriteClaim.ACK_WAIT_NANOS);
    private boolean rateLimits = true;
    private java.util.List<String> trustedProxies = java.util.List.of();
    /** Null: the operator chose none ({@link org.parley.server.transport.Transport#DEFAULT_DESCRIPTION}). */
    private String transport;

    private Builder(Path dataDirectory) {
      this.dataDirectory = dataDirectory;
    }

    public Builder bind(String host) {
      this.bindHost = host;
      return this;
    }

    public Builder port(int value) {
      this.port = value;
      return this;
    }

    public Builder tls(Path certificate, Path key) {
      this.tlsCertificate = certificate;
      this.tlsKey = key;
      return this;
    }

    public Builder insecureBind(boolean value) {
      this.insecureBind = value;
      return this;
    }

    public Builder primaryInactivity(Duration value) {
      this.primaryInactivity = value;
      return this;
    }

    public Builder companionInactivity(Duration value) {
      this.companionInactivity = value;
      return this;
    }

    public Builder maxCompanions(int value) {
      this.maxCompanions = value;
      return this;
    }

    public Builder queueTtl(Duration value) {
      this.queueTtl = value;
      return this;
    }

    public Builder sms(String value) {
      this.sms = value;
      return this;
    }

    public Builder limits(Limits value) {
      this.limits = value;
      return this;
    }

    public Builder blobLimits(BlobLimits value) {
      this.blobLimits = value;
      return this;
    }

    public Builder cluster(ClusterOptions value) {
      this.cluster = value;
      return this;
    }

    public Builder admin(String host, int port) {
      this.adminBind = host;
      this.adminPort = port;
      return this;
    }

    public Builder drainTimeout(Duration value) {
      this.drainTimeout = value;
      return this;
    }

    public Builder rateLimits(boolean value) {
      this.rateLimits = value;
      return this;
    }

    public Builder ackHold(Duration value) {
      this.ackHold = value;
      return this;
    }

    public Builder trustedProxies(java.util.List<String> cidrs) {
      this.trustedProxies = java.util.List.copyOf(cidrs);
      return this;
    }

    public Builder transport(String name) {
      this.transport = name;
      return this;
    }

    public ServerConfig build() {
      return new ServerConfig(
          dataDirectory, bindHost, port, tlsCertificate, tlsKey, insecureBind, primaryInactivity,
          companionInactivity, maxCompanions, queueTtl, sms, limits, blobLimits, cluster, adminBind, adminPort, drainTimeout,
          rateLimits, trustedProxies, ackHold, transport);
    }
  }
}
