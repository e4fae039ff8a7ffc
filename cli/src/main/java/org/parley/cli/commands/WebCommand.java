package org.parley.cli.commands;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.parley.cli.Main;
import org.parley.cli.daemon.Daemon;
import org.parley.cli.daemon.DaemonClient;
import org.parley.cli.web.WebCompanion;
import org.parley.client.ClientConfig;
import org.parley.client.net.Trust;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code parley web} (README.md, web companion): this profile as a companion whose screen is a browser page. */
@Command(
    name = "web",
    mixinStandardHelpOptions = true,
    description = {
      "Hold this profile like 'parley daemon' and serve its page in the browser: chats, conversations,",
      "groups, devices. Prints the address to open once, with a one-time login; the keys stay in this",
      "process. A profile not linked yet links through the page (give --server). When a 'parley daemon'",
      "with --http holds the profile already, asks it for a login to its page, prints it and exits."
    })
public final class WebCommand implements Callable<Integer> {
  /** The default address: loopback, so only this machine's browser reaches the page. */
  static final String DEFAULT_HTTP = "127.0.0.1:7380";

  @Spec CommandSpec spec;

  @Mixin ProfileOptions profileOptions;

  @Option(names = "--server", paramLabel = "URL", description = "The server, for a profile not linked yet.")
  String server;

  @Option(
      names = "--http",
      paramLabel = "[HOST:]PORT",
      description = "Where the page listens (default: ${DEFAULT-VALUE}; port 0 picks a free one). Another host"
          + " than loopback lets other machines try to reach the page: they still need the login.")
  String http = DEFAULT_HTTP;

  @Override
  public Integer call() throws Exception {
    Main main = (Main) spec.root().userObject();
    Main.Context context = main.context();
    Path profile = profileOptions.directory(main.profileBeforeCommand(), context.environment());
    Files.createDirectories(profile);
    try (DaemonClient running = DaemonClient.connect(profile)) {
      if (running != null) {
        // A daemon holds the profile: it serves the page on its own HTTP listener; ask it for a
        // login and leave (the page lives as long as that daemon, not as this command).
        var login = running.call("webLogin", java.util.Map.of(), org.parley.cli.daemon.Daemon.WebLogin.class, Caller.NONE);
        context.out().println("joining the daemon that holds " + profile);
        context.out().println("open " + login.url());
        context.out().println("(the link logs one browser in once; run 'parley web' again for another)");
        context.out().flush();
        return 0;
      }
    }
    Path pem = profileOptions.trustCertificate(main.trustCertificateBeforeCommand());
    ClientConfig config =
        pem == null
            ? new ClientConfig(context.clock(), null)
            : ClientConfig.trusting(context.clock(), Trust.read(pem), pem.toString());
    InetSocketAddress address = DaemonCommand.address(http, "--http");
    Daemon daemon =
        Daemon.start(
            new Daemon.Options(
                List.of(profile), false, profile, null, null, address, null, Duration.ofDays(30), config));
    WebCompanion web = WebCompanion.mount(daemon, server, context.clock());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      daemon.close();
      stopped.countDown();
    }, "parley-web-shutdown"));
    warnIfNotLoopback(context.err(), address);
    context.out().println("holding " + profile + " on " + daemon.controlSockets().getFirst());
    context.out().println("open " + web.loginAddress());
    context.out().println("(the link logs one browser in once; run 'parley web' again for another)");
    context.out().flush();
    stopped.await();
    return 0;
  }

  /**
   * The page and its login go over plain HTTP: on loopback that never leaves the machine; on any other
   * address the login link and the session cookie cross the network readable, so say so ({@code parley
   * web}, and {@code parley daemon --http} that serves the page too).
   */
  static void warnIfNotLoopback(java.io.PrintStream err, InetSocketAddress address) {
    if (!address.getAddress().isLoopbackAddress()) {
      err.println("warning: the page listens on " + address.getAddress().getHostAddress()
          + ", not only on loopback; anyone who can reach it still needs the login link, and the link and the"
          + " session cookie go over plain HTTP: keep it on loopback, or behind a TLS proxy");
    }
  }
}
