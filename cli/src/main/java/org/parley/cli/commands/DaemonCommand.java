package org.parley.cli.commands;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import org.parley.cli.Durations;
import org.parley.cli.Main;
import org.parley.cli.daemon.Daemon;
import org.parley.client.ClientConfig;
import org.parley.client.net.Trust;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code parley daemon} (README.md, daemon): keeps a profile online and serves JSON-RPC 2.0. */
@Command(
    name = "daemon",
    mixinStandardHelpOptions = true,
    description = {
      "Keep this profile online: receive all the time (reconnecting when the server goes away) and serve",
      "JSON-RPC 2.0 on the profile's control socket (other 'parley' commands on the profile go through it)",
      "and on the transports asked for. TCP and HTTP need the token ('--print-token') and bind loopback",
      "unless given a host. With --http and one profile it serves the web page too ('parley web' for a login)."
    })
public final class DaemonCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin ProfileOptions profileOptions;

  @Option(names = "--socket", paramLabel = "PATH", description = "Also serve on this UNIX socket (mode 0600).")
  Path socket;

  @Option(names = "--tcp", paramLabel = "[HOST:]PORT", description = "Serve JSON-RPC, one object per line, on TCP.")
  String tcp;

  @Option(
      names = "--http",
      paramLabel = "[HOST:]PORT",
      description = "Serve POST /api/v1/rpc, GET /api/v1/events (server-sent events), GET /api/v1/check.")
  String http;

  @Option(
      names = "--webhook",
      paramLabel = "URL",
      description = "POST each event (JSON) to URL, in order; each is tried again, with backoff, until a 2xx answer.")
  java.net.URI webhook;

  @Option(
      names = "--webhook-backlog",
      paramLabel = "N",
      description =
          "Keep at most N events (beyond --keep-events) for a webhook that does not take them (default: 100000);"
              + " past it the oldest go and the hook is sent a 'forgotten' object saying how many it missed.")
  int webhookBacklog = Daemon.WebhookLimits.DEFAULT.backlog();

  @Option(
      names = "--webhook-timeout",
      paramLabel = "DURATION",
      converter = Durations.class,
      description = "How long one POST to the webhook may take, answer included, before it is tried again (default: 30s).")
  Duration webhookTimeout = Daemon.WebhookLimits.DEFAULT.timeout();

  @Option(
      names = "--profiles",
      paramLabel = "DIR",
      description = "Hold every profile under DIR; each call names one with the parameter 'account'.")
  Path profilesDirectory;

  @Option(
      names = "--keep-events",
      paramLabel = "DURATION",
      converter = Durations.class,
      description =
          "Keep events this long for consumers that were away (default: 30d); the webhook's until it took them,"
              + " up to --webhook-backlog.")
  Duration keepEvents = Duration.ofDays(30);

  @Option(names = "--print-token", description = "Print the token that TCP and HTTP clients give, and exit.")
  boolean printToken;

  @Override
  public Integer call() throws Exception {
    Main main = (Main) spec.root().userObject();
    Main.Context context = main.context();
    Path profile = profileOptions.directory(main.profileBeforeCommand(), context.environment());
    Path home = profilesDirectory != null ? profilesDirectory : profile;
    if (printToken) {
      Files.createDirectories(home);
      context.out().println(Daemon.token(home));
      return 0;
    }
    Path pem = profileOptions.trustCertificate(main.trustCertificateBeforeCommand());
    ClientConfig config =
        pem == null
            ? new ClientConfig(context.clock(), null)
            : ClientConfig.trusting(context.clock(), Trust.read(pem), pem.toString());
    List<Path> profiles = profilesDirectory == null ? List.of(profile) : profilesUnder(profilesDirectory);
    Daemon daemon =
        Daemon.start(
            new Daemon.Options(
                profiles, profilesDirectory != null, home, socket, address(tcp, "--tcp"), address(http, "--http"),
                webhook(), keepEvents, config, new Daemon.WebhookLimits(webhookBacklog, webhookTimeout)));
    if (daemon.http() != null && daemon.holdsOneProfile()) {
      // The page rides on the HTTP listener: nobody gets in without a login 'parley web' asks for.
      org.parley.cli.web.WebCompanion.mount(daemon, null, context.clock());
      WebCommand.warnIfNotLoopback(context.err(), daemon.http().address());
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      daemon.close();
      stopped.countDown();
    }, "parley-daemon-shutdown"));
    List<String> phones = daemon.phones();
    List<Path> sockets = daemon.controlSockets();
    for (int i = 0; i < profiles.size(); i++) {
      context.out().println(
          "holding " + profiles.get(i) + (phones.get(i) != null ? " (" + phones.get(i) + ")" : " (not registered yet)")
              + " on " + sockets.get(i));
    }
    if (webhook != null) {
      context.out().println("posting events to " + webhook);
    }
    if (socket != null) {
      context.out().println("listening on unix:" + socket);
    }
    if (daemon.tcpAddress() != null) {
      context.out().println("listening on tcp://" + hostPort(daemon.tcpAddress()));
    }
    if (daemon.http() != null) {
      context.out().println("listening on http://" + hostPort(daemon.http().address()));
      if (daemon.holdsOneProfile()) {
        context.out().println("serving the web page there too: 'parley web' on this profile prints a login");
      }
    }
    context.out().flush();
    stopped.await();
    return 0;
  }

  /** The profiles under a directory: its subdirectories (made by 'register' or 'link' with --profile DIR/NAME). */
  private static List<Path> profilesUnder(Path directory) throws IOException {
    if (!Files.isDirectory(directory)) {
      throw new IllegalArgumentException(directory + " is not a directory of profiles");
    }
    try (Stream<Path> entries = Files.list(directory)) {
      List<Path> profiles = entries.filter(Files::isDirectory).sorted().toList();
      if (profiles.isEmpty()) {
        throw new IllegalArgumentException(directory + " holds no profile; make one with 'parley --profile "
            + directory.resolve("NAME") + " register ...'");
      }
      return profiles;
    }
  }

  private java.net.URI webhook() {
    if (webhook == null) {
      return null;
    }
    if (!webhook.isAbsolute() || !(webhook.getScheme().equals("http") || webhook.getScheme().equals("https"))) {
      throw new IllegalArgumentException("--webhook takes an http:// or https:// URL, not '" + webhook + "'");
    }
    return webhook;
  }

  /** {@code PORT} (loopback) or {@code HOST:PORT}. */
  static InetSocketAddress address(String text, String option) throws UnknownHostException {
    if (text == null) {
      return null;
    }
    int colon = text.lastIndexOf(':');
    String host = colon < 0 ? "127.0.0.1" : text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " takes PORT or HOST:PORT, not '" + text + "'");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(option + ": no port " + port);
    }
    return new InetSocketAddress(InetAddress.getByName(host), port);
  }

  private static String hostPort(InetSocketAddress address) {
    String host = address.getAddress().getHostAddress();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
  }
}
