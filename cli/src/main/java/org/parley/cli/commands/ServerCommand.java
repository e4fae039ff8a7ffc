package org.parley.cli.commands;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.parley.cli.Durations;
import org.parley.cli.Main;
import org.parley.server.ParleyServer;
import org.parley.server.ServerConfig;
import org.parley.server.registration.SmsSenders;
import picocli.CommandLine.Command;
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

  @Option(names = "--data", paramLabel = "DIR", description = "Data directory (default: ${DEFAULT-VALUE}).")
  Path data = Path.of("parley-data");

  @Option(names = "--bind", paramLabel = "HOST", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
  String bind = "127.0.0.1";

  @Option(names = "--port", paramLabel = "N", description = "Port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int port = 8080;

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
      description = "Unlink every companion when the primary is away this long (default: 14d).")
  Duration primaryInactivity = Duration.ofDays(14);

  @Option(
      names = "--companion-inactivity",
      paramLabel = "DURATION",
      converter = Durations.class,
      description = "Unlink a companion away this long (default: 30d).")
  Duration companionInactivity = Duration.ofDays(30);

  @Option(names = "--max-companions", paramLabel = "N", description = "Companions per account (default: ${DEFAULT-VALUE}).")
  int maxCompanions = 4;

  @Option(
      names = "--queue-ttl",
      paramLabel = "DURATION",
      converter = Durations.class,
      description = "Drop undelivered envelopes after this long (default: 30d).")
  Duration queueTtl = Duration.ofDays(30);

  @Option(
      names = "--sms",
      paramLabel = "console|webhook:URL",
      description = "How verification codes are sent (default: ${DEFAULT-VALUE}).")
  String sms = "console";

  @Override
  public Integer call() throws InterruptedException {
    if (maxCompanions < 0 || maxCompanions > 126) {
      throw new IllegalArgumentException("--max-companions must be between 0 and 126");
    }
    Main.Context context = ((Main) spec.root().userObject()).context();
    ServerConfig config =
        ServerConfig.builder(data)
            .bind(bind)
            .port(port)
            .tls(tlsCertificate, tlsKey)
            .insecureBind(insecureBind)
            .primaryInactivity(primaryInactivity)
            .companionInactivity(companionInactivity)
            .maxCompanions(maxCompanions)
            .queueTtl(queueTtl)
            .sms(sms)
            .build();
    ParleyServer server =
        ParleyServer.start(config, context.clock(), SmsSenders.fromOption(sms, context.out()));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  stopped.countDown();
                },
                "parley-shutdown"));
    context.out().println("listening on " + server.url());
    context.out().flush();
    stopped.await();
    return 0;
  }
}
