package org.parley.bench.xmpp;

import org.parley.bench.net.SingleLoop;
import org.parley.server.transport.Transport;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.parley.bench.report.Result;
import org.parley.bench.server.ProcessStats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "xmpp",
    mixinStandardHelpOptions = true,
    description = {
      "The relay workload against an XMPP server (ejabberd, Prosody) for the side by side"
          + " (bench/xmpp/side-by-side.sh), with the bench's own lean driver: one Netty event loop, prebuilt"
          + " stanzas, no XML parser (arriving bytes are scanned for <body> and the 'due:seq:' at its start)."
          + " USERS accounts, DEVICES resources each with message carbons on; each message goes from a random"
          + " resource to another user's bare JID, so every resource of the recipient gets it and every other"
          + " resource of the sender a sent carbon.",
      "The driver reports its own CPU (average and busiest second) and warns above half a core: past that it"
          + " may hold the server back.",
      "Semantics differ from Parley: the XMPP server relays online messages from memory (only offline"
          + " storage is written, per account), while Parley commits every envelope durably, per device,"
          + " before it answers."
    })
public final class XmppMode implements Callable<Integer> {
  @Option(names = "--server-name", required = true, description = "Label for the results (ejabberd, prosody).")
  String serverName;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Server address (default ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--port", defaultValue = "5222", description = "Client port (default ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--domain", defaultValue = "localhost", description = "XMPP domain (default ${DEFAULT-VALUE}).")
  String domain;

  @Option(names = "--server-pid", defaultValue = "0", description = "The server's pid, for CPU and memory figures.")
  long serverPid;

  @Option(names = "--register", description = "Register the accounts in-band (XEP-0077) first; without it they must exist (password 'bench').")
  boolean register;

  @Option(names = "--users", defaultValue = "500", description = "Accounts (default ${DEFAULT-VALUE}).")
  int users;

  @Option(names = "--devices", defaultValue = "2", description = "Resources per account (default ${DEFAULT-VALUE}).")
  int devices;

  @Option(names = "--payload", defaultValue = "256", description = "Body bytes per message (default ${DEFAULT-VALUE}).")
  int payload;

  @Option(names = "--rate", defaultValue = "0", description = "Messages per second, open loop; 0 = closed loop (default ${DEFAULT-VALUE}).")
  double rate;

  @Option(names = "--in-flight", defaultValue = "512", description = "Closed loop: messages not yet delivered to every resource (default ${DEFAULT-VALUE}).")
  int inFlight;

  @Option(names = "--warmup", defaultValue = "5", description = "Seconds of load before measuring (default ${DEFAULT-VALUE}).")
  double warmup;

  @Option(names = "--duration", defaultValue = "20", description = "Seconds measured (default ${DEFAULT-VALUE}).")
  double duration;

  @Option(names = "--user-prefix", defaultValue = "bench", description = "Account names are PREFIX0, PREFIX1, ... (default ${DEFAULT-VALUE}).")
  String prefix;

  @Option(names = "--login-parallel", defaultValue = "64", description = "Logins in flight (default ${DEFAULT-VALUE}).")
  int loginParallel;

  @Option(names = "--transport", defaultValue = "epoll", description = SingleLoop.TRANSPORT_HELP)
  String transport;

  @Option(names = "--out", description = "Also append the JSON result line to this file.")
  Path out;

  static final String PASSWORD = "bench";

  @Override
  public Integer call() throws Exception {
    if (users < 2 || devices < 1) {
      throw new IllegalArgumentException("needs --users >= 2 and --devices >= 1");
    }
    Transport net = SingleLoop.transport(transport);
    try (LeanXmppClient client = new LeanXmppClient(net, host, port, domain)) {
      XmppRun run = new XmppRun(client.loop(), users, devices, domain, prefix, payload, rate, inFlight);
      long t0 = System.nanoTime();
      // First resources register (if asked) and log in; the others log in once their account exists.
      List<List<XmppLink>> connected = new ArrayList<>();
      for (int u = 0; u < users; u++) {
        connected.add(new ArrayList<>());
      }
      for (int d = 0; d < devices; d++) {
        List<CompletableFuture<XmppLink>> logins = new ArrayList<>();
        Semaphore window = new Semaphore(loginParallel);
        for (int u = 0; u < users; u++) {
          window.acquire();
          CompletableFuture<XmppLink> login =
              client.login(prefix + u, PASSWORD, "d" + d, register && d == 0, run).whenComplete((l, e) -> window.release());
          logins.add(login);
        }
        for (int u = 0; u < users; u++) {
          connected.get(u).add(logins.get(u).get(120, TimeUnit.SECONDS));
        }
      }
      System.err.printf("%d resources logged in with carbons on in %.1f s%n", users * devices, (System.nanoTime() - t0) / 1e9);
      run.attach(connected);
      Result result = run.run(new ProcessStats(serverPid), warmup, duration);
      result.put("server", serverName);
      result.put("transport", net.label());
      result.put("login_s", Result.round((System.nanoTime() - t0) / 1e9));
      result.print(System.out, out);
      connected.forEach(user -> user.forEach(link -> link.channel().close()));
    }
    return 0;
  }
}
