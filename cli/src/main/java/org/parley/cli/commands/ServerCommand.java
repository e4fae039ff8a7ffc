package org.parley.cli.commands;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.parley.cli.Durations;
import org.parley.cli.Main;
import org.parley.cli.config.OptionSources;
import org.parley.server.ParleyServer;
import org.parley.server.ServerConfig;
import org.parley.server.cluster.ClusterOptions;
import org.parley.server.registration.SmsSenders;
import org.parley.server.transport.Transport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "server",
    mixinStandardHelpOptions = true,
    description = {
      "Run the relay. With no options: embedded SQLite under ./parley-data on 127.0.0.1:8080.",
      "Prints 'listening on ws://HOST:PORT' when ready, and each verification code with the console SMS sender."
    })
public final class ServerCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = OptionSources.CONFIG_OPTION,
      paramLabel = "FILE",
      description = {
        "Config file of 'key = value' lines; a key is an option's name without '--'.",
        "Each option can also come from the environment: --queue-ttl from PARLEY_QUEUE_TTL.",
        "The command line wins over the environment, which wins over the file (also: $PARLEY_CONFIG)."
      })
  Path config;

  @Option(names = "--data", paramLabel = "DIR", defaultValue = "parley-data", description = "Data directory (default: ${DEFAULT-VALUE}).")
  Path data;

  @Option(names = "--bind", paramLabel = "HOST", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
  String bind;

  @Option(names = "--port", paramLabel = "N", defaultValue = "8080", description = "Port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--tls-cert", paramLabel = "PEM", description = "Certificate chain: serve wss://.")
  Path tlsCertificate;

  @Option(names = "--tls-key", paramLabel = "PEM", description = "Private key of the certificate (PKCS#8).")
  Path tlsKey;

  @Option(
      names = "--insecure-bind",
      description = "Allow plain ws:// on a non-loopback address (behind a TLS-terminating proxy).")
  boolean insecureBind;

  @Option(
      names = "--primary-inactivity",
      paramLabel = "DURATION",
      converter = Durations.class,
      defaultValue = "14d",
      description = "Unlink every companion when the primary is away this long (default: ${DEFAULT-VALUE}).")
  Duration primaryInactivity;

  @Option(
      names = "--companion-inactivity",
      paramLabel = "DURATION",
      converter = Durations.class,
      defaultValue = "30d",
      description = "Unlink a companion away this long (default: ${DEFAULT-VALUE}).")
  Duration companionInactivity;

  @Option(names = "--max-companions", paramLabel = "N", defaultValue = "4", description = "Companions per account (default: ${DEFAULT-VALUE}).")
  int maxCompanions;

  @Option(
      names = "--queue-ttl",
      paramLabel = "DURATION",
      converter = Durations.class,
      defaultValue = "30d",
      description = "Drop undelivered envelopes after this long (default: ${DEFAULT-VALUE}).")
  Duration queueTtl;

  @Option(
      names = "--sms",
      paramLabel = "console|webhook:URL",
      defaultValue = "console",
      description = "How verification codes are sent (default: ${DEFAULT-VALUE}).")
  String sms;

  @Mixin BlobOptions blobs;
  @Option(
      names = "--store",
      paramLabel = "postgresql://HOST:PORT/DB[?user=..]",
      description = "Run clustered on this shared PostgreSQL database instead of the embedded SQLite file.")
  String store;

  @Option(
      names = "--redis",
      paramLabel = "redis://HOST:PORT",
      description = "With --store: wake the other nodes through this Redis (needed for more than one node).")
  String redis;

  @Option(names = "--node-id", paramLabel = "N", description = "This node's name in logs (default: a random one).")
  String nodeId;

  @Option(
      names = "--admin-bind",
      paramLabel = "HOST",
      defaultValue = "127.0.0.1",
      description = "Address of the admin listener: /metrics, /health/*, 'parley admin' (default: ${DEFAULT-VALUE}).")
  String adminBind;

  @Option(
      names = "--admin-port",
      paramLabel = "N",
      defaultValue = "0",
      description = "Port of the admin listener; 0 picks a free one, written to DIR/admin.properties (default: ${DEFAULT-VALUE}).")
  int adminPort;

  @Option(
      names = "--drain-timeout",
      paramLabel = "DURATION",
      converter = Durations.class,
      defaultValue = "30s",
      description = "On SIGTERM, how long to wait for requests in flight before closing anyway (default: ${DEFAULT-VALUE}).")
  Duration drainTimeout;

  @Option(
      names = "--ack-hold",
      paramLabel = "DURATION",
      converter = AckHold.class,
      defaultValue = "25ms",
      description = "How long the writer holds back envelopes already pushed to their connected devices, waiting for"
          + " their acks: one acked first is never written. Delays 'sent' by up to this long; 0 holds nothing"
          + " (default: ${DEFAULT-VALUE}).")
  Duration ackHold;

  @Option(
      names = "--transport",
      paramLabel = "auto|io_uring|epoll|nio",
      description = "Socket API of the event loops; auto takes io_uring where the kernel allows it, else epoll, else nio, and logs what it passed over (default: " + Transport.DEFAULT_DESCRIPTION + ").")
  String transport;

  @Mixin LimitOptions limits;

  /** A duration, or a bare 0 (no hold): the one duration option where zero means something. */
  static final class AckHold implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      return value.strip().equals("0") ? Duration.ZERO : new Durations().convert(value);
    }
  }

  /**
   * Lets every option of this command come from the environment or the config file (see {@link
   * OptionSources}); called once when the command line is built.
   */
  public static void configurable(CommandLine server, Map<String, String> environment) {
    ServerCommand command = server.getCommand();
    server.setDefaultValueProvider(new OptionSources(server.getCommandSpec(), environment, () -> command.config));
  }

  /** What the options say, checked. */
  public ServerConfig serverConfig() {
    if (redis != null && store == null) {
      throw new IllegalArgumentException("--redis needs --store postgresql://...: nodes share their store");
    }
    if (maxCompanions < 0 || maxCompanions > 126) {
      throw new IllegalArgumentException("--max-companions must be between 0 and 126");
    }
    // Checked here, so a wrong name or a transport this machine lacks stops the command before anything opens.
    Transport.choose(transport);
    return ServerConfig.builder(data)
        .bind(bind)
        .port(port)
        .tls(tlsCertificate, tlsKey)
        .insecureBind(insecureBind)
        .primaryInactivity(primaryInactivity)
        .companionInactivity(companionInactivity)
        .maxCompanions(maxCompanions)
        .queueTtl(queueTtl)
        .sms(sms)
        .blobLimits(blobs.limits())
        .cluster(new ClusterOptions(store, redis, nodeId))
        .admin(adminBind, adminPort)
        .drainTimeout(drainTimeout)
        .ackHold(ackHold)
        .limits(limits.limits())
        .rateLimits(limits.rateLimits())
        .trustedProxies(limits.trustedProxies())
        .transport(transport)
        .build();
  }

  @Override
  public Integer call() throws InterruptedException {
    ServerConfig settings = serverConfig();
    Main.Context context = ((Main) spec.root().userObject()).context();
    ParleyServer server =
        ParleyServer.start(settings, context.clock(), SmsSenders.fromOption(sms, context.out()));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  // SIGTERM (systemd, docker stop) and Ctrl-C: drain, so nothing in flight is lost.
                  context.out().println("draining: no new connections; finishing what is in flight");
                  context.out().flush();
                  server.drainAndClose();
                  context.out().println("stopped");
                  context.out().flush();
                  stopped.countDown();
                },
                "parley-shutdown"));
    context.out().println("listening on " + server.url());
    context.out().println("admin on " + server.adminUrl() + " (/metrics, /health/ready; parley admin --data " + settings.dataDirectory() + ")");
    context.out().flush();
    stopped.await();
    return 0;
  }
}
