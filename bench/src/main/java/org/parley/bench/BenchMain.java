package org.parley.bench;

import org.parley.bench.modes.ConnectionsMode;
import org.parley.bench.modes.DrainMode;
import org.parley.bench.modes.RelayMode;
import org.parley.bench.server.BenchServer;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code parley-bench MODE [options]}: every mode prints a table and one JSON line. */
@Command(
    name = "parley-bench",
    mixinStandardHelpOptions = true,
    description = {
      "Load generator and benchmarks for the Parley relay (see BENCHMARKS.md).",
      "'parley-bench jmh [JMH options]' runs the JMH benchmarks of the client send path (jmh -h for JMH's options)."
    },
    subcommands = {
      RelayMode.class,
      org.parley.bench.modes.FailoverMode.class,
      ConnectionsMode.class,
      DrainMode.class,
      org.parley.bench.modes.DeviceModes.Link.class,
      org.parley.bench.modes.DeviceModes.History.class,
      org.parley.bench.modes.GroupMode.class,
      org.parley.bench.modes.AppStateMode.class,
      org.parley.bench.modes.DaemonMode.class,
      org.parley.bench.modes.WebMode.class,
      org.parley.bench.modes.AttachmentMode.class,
      org.parley.bench.xmpp.XmppMode.class,
      org.parley.bench.report.Table.class,
      org.parley.bench.report.Compare.class,
      BenchServer.class,
    })
public final class BenchMain implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.err);
  }

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("jmh")) {
      // JMH has its own command line (-h lists it); it forks JVMs with this class path.
      org.openjdk.jmh.Main.main(java.util.Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    CommandLine line = new CommandLine(new BenchMain());
    line.setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println("parley-bench " + cmd.getCommandName() + ": " + e.getMessage());
      if (System.getenv("PARLEY_BENCH_TRACE") != null) {
        e.printStackTrace(cmd.getErr());
      } else {
        cmd.getErr().println("(set PARLEY_BENCH_TRACE=1 for the stack trace)");
      }
      return 1;
    });
    System.exit(line.execute(args));
  }
}
