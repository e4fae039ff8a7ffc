package org.parley.bench.xmpp;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import org.jivesoftware.smack.ConnectionConfiguration.SecurityMode;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smack.tcp.XMPPTCPConnectionConfiguration;
import org.jivesoftware.smackx.iqregister.AccountManager;
import org.jxmpp.jid.parts.Localpart;
import org.parley.bench.report.Result;
import org.parley.bench.server.ProcessStats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "xmpp",
    mixinStandardHelpOptions = true,
    description = {
      "The relay workload against an XMPP server (ejabberd, Prosody) through Smack 4.4.8, for the side"
          + " by side (bench/xmpp/side-by-side.sh): USERS accounts, DEVICES resources each with message"
          + " carbons on; each message goes from a random resource to another user's bare JID, so every"
          + " resource of the recipient gets it and every other resource of the sender a sent carbon.",
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

  @Option(names = "--out", description = "Also append the JSON result line to this file.")
  Path out;

  static final String PASSWORD = "bench";

  @Override
  public Integer call() throws Exception {
    if (register) {
      registerAll();
    }
    List<List<XMPPTCPConnection>> connections = connectAll();
    Result result =
        new XmppRun(connections, domain, prefix, payload, rate, inFlight)
            .run(new ProcessStats(serverPid), warmup, duration);
    result.put("server", serverName);
    result.print(System.out, out);
    connections.forEach(user -> user.forEach(XMPPTCPConnection::instantShutdown));
    return 0;
  }

  private XMPPTCPConnectionConfiguration config(String user, String resource) throws Exception {
    XMPPTCPConnectionConfiguration.Builder builder =
        XMPPTCPConnectionConfiguration.builder()
            .setXmppDomain(domain)
            .setHost(host)
            .setPort(port)
            // Plain TCP for every server, Parley included (the bench's Parley runs ws://).
            .setSecurityMode(SecurityMode.disabled)
            .setSendPresence(true)
            .setConnectTimeout(60_000);
    if (user != null) {
      builder.setUsernameAndPassword(user, PASSWORD).setResource(resource);
    }
    return builder.build();
  }

  private void registerAll() throws Exception {
    long start = System.nanoTime();
    try (ExecutorService workers = Executors.newFixedThreadPool(16)) {
      List<Future<?>> tasks = new ArrayList<>();
      for (int w = 0; w < 16; w++) {
        int worker = w;
        tasks.add(workers.submit(() -> {
          XMPPTCPConnection anonymous = new XMPPTCPConnection(config(null, null));
          anonymous.connect();
          AccountManager accounts = AccountManager.getInstance(anonymous);
          accounts.sensitiveOperationOverInsecureConnection(true);
          for (int i = worker; i < users; i += 16) {
            try {
              accounts.createAccount(Localpart.from(prefix + i), PASSWORD);
            } catch (org.jivesoftware.smack.XMPPException.XMPPErrorException e) {
              // "conflict": the account is there from an earlier run, which is as good
              if (e.getStanzaError().getCondition() != org.jivesoftware.smack.packet.StanzaError.Condition.conflict) {
                throw e;
              }
            }
          }
          anonymous.disconnect();
          return null;
        }));
      }
      for (Future<?> task : tasks) {
        task.get();
      }
    }
    System.err.printf("registered %d XMPP accounts in %.1f s%n", users, (System.nanoTime() - start) / 1e9);
  }

  private List<List<XMPPTCPConnection>> connectAll() throws Exception {
    XMPPTCPConnection.setUseStreamManagementDefault(false);
    long start = System.nanoTime();
    Semaphore permits = new Semaphore(64);
    List<List<Future<XMPPTCPConnection>>> pending = new ArrayList<>();
    try (ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int u = 0; u < users; u++) {
        List<Future<XMPPTCPConnection>> user = new ArrayList<>();
        for (int d = 0; d < devices; d++) {
          String name = prefix + u;
          String resource = "d" + d;
          user.add(workers.submit(() -> {
            permits.acquire();
            try {
              XMPPTCPConnection connection = new XMPPTCPConnection(config(name, resource));
              connection.setReplyTimeout(60_000);
              connection.connect().login();
              org.jivesoftware.smackx.carbons.CarbonManager.getInstanceFor(connection).enableCarbons();
              return connection;
            } finally {
              permits.release();
            }
          }));
        }
        pending.add(user);
      }
      List<List<XMPPTCPConnection>> connections = new ArrayList<>();
      for (List<Future<XMPPTCPConnection>> user : pending) {
        List<XMPPTCPConnection> resources = new ArrayList<>();
        for (Future<XMPPTCPConnection> f : user) {
          resources.add(f.get());
        }
        connections.add(resources);
      }
      System.err.printf("%d resources logged in with carbons on in %.1f s%n", users * devices, (System.nanoTime() - start) / 1e9);
      return connections;
    }
  }
}
