package org.parley.bench.modes;

import java.util.List;
import java.util.concurrent.Callable;
import org.parley.bench.CommonOptions;
import org.parley.bench.net.SingleLoop;
import org.parley.bench.net.WsClient;
import org.parley.bench.population.BenchUser;
import org.parley.bench.population.KeyPool;
import org.parley.bench.population.Population;
import org.parley.bench.report.Result;
import org.parley.bench.server.ServerHandle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "relay",
    mixinStandardHelpOptions = true,
    description = {
      "1:1 relay throughput and latency: USERS accounts of DEVICES devices each, every device connected"
          + " and acking; each message goes to every device of a random other user and every other"
          + " device of the sender (2*DEVICES-1 envelopes), committed durably before the server answers.",
      "Payloads are pre-encrypted random bytes (the relay cannot tell). Latency is submit -> delivery"
          + " on every receiving device (HdrHistogram). Open loop with --rate, closed loop without.",
      "Registration goes through the bench's full Java client; the measured load through --driver. The run"
          + " reports the generator's own CPU (average and busiest second) and warns above half a core."
    })
public final class RelayMode implements Callable<Integer> {
  @Mixin CommonOptions common;

  @Option(names = "--users", defaultValue = "500", description = "Accounts (default ${DEFAULT-VALUE}).")
  int users;

  @Option(names = "--devices", defaultValue = "2", description = "Devices per account, 1-5: a primary and linked companions (default ${DEFAULT-VALUE}).")
  int devices;

  @Option(names = "--payload", defaultValue = "256", description = "Ciphertext bytes per envelope (default ${DEFAULT-VALUE}).")
  int payload;

  @Option(names = "--rate", defaultValue = "0", description = "Messages per second, open loop; 0 = closed loop, as fast as the server answers (default ${DEFAULT-VALUE}).")
  double rate;

  @Option(names = "--in-flight", defaultValue = "512", description = "Closed loop: sends outstanding at all times (default ${DEFAULT-VALUE}).")
  int inFlight;

  @Option(names = "--max-outstanding", defaultValue = "50000", description = "Open loop: sends skipped (and counted) when this many are unanswered (default ${DEFAULT-VALUE}).")
  long maxOutstanding;

  @Option(names = "--warmup", defaultValue = "5", description = "Seconds of load before measuring (default ${DEFAULT-VALUE}).")
  double warmup;

  @Option(names = "--duration", defaultValue = "20", description = "Seconds measured (default ${DEFAULT-VALUE}).")
  double duration;

  @Option(names = "--complete-on", defaultValue = "sent", description = "Closed loop: a message is done at the server's 'sent' answer (sent) or once every device has it (delivered, as the XMPP driver counts); default ${DEFAULT-VALUE}.")
  String completeOn;

  @Option(
      names = "--driver",
      defaultValue = "lean",
      description = "lean: every socket on one event loop, prebuilt send frames, pushes scanned in place for the guid"
          + " to ack (less CPU per message than the full client; see BENCHMARKS.md);"
          + " full: the bench's Java client (Netty's WebSocket codec, protobuf messages). Same envelopes, same acks"
          + " (once per read burst). The lean driver also checks that every envelope reached the device it was addressed"
          + " to, once (else envelopes_unexpected); default ${DEFAULT-VALUE}.")
  String driver;

  @Option(names = "--transport", defaultValue = "epoll", description = "With --driver lean: " + SingleLoop.TRANSPORT_HELP)
  String transport;

  @Option(
      names = "--ack-delay",
      defaultValue = "0",
      description = "How long each device waits after reading envelopes before it acks them, as a real device acks"
          + " only after its own commit (about 1ms: an fsync); e.g. 1ms, 500us; lean driver only. 0 acks at the end"
          + " of each read burst, as the earlier figures did (default ${DEFAULT-VALUE}).")
  String ackDelay;

  @Option(names = "--register-parallel", defaultValue = "32", description = "Registrations in flight (default ${DEFAULT-VALUE}).")
  int registerParallel;

  @Override
  public Integer call() throws Exception {
    if (devices < 1 || devices > 5) {
      throw new IllegalArgumentException("--devices must be 1 to 5 (a primary and up to 4 companions)");
    }
    return common.run(this::measure);
  }

  private boolean completeOnDelivery() {
    return switch (completeOn) {
      case "sent" -> false;
      case "delivered" -> true;
      default -> throw new IllegalArgumentException("--complete-on is 'sent' or 'delivered'");
    };
  }

  /** A duration written 0, 500us, 1ms, 1.5ms or 2s, in nanoseconds. */
  static long nanos(String text) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+(?:\\.\\d+)?)(us|ms|s)").matcher(text.strip());
    if (text.strip().equals("0")) {
      return 0;
    }
    if (!m.matches()) {
      throw new IllegalArgumentException("--ack-delay '" + text + "' is not a duration; write it like 0, 500us, 1ms or 1s");
    }
    double amount = Double.parseDouble(m.group(1));
    long nanos = (long) (amount * switch (m.group(2)) {
      case "us" -> 1e3;
      case "ms" -> 1e6;
      default -> 1e9;
    });
    if (nanos > 10_000_000_000L) {
      throw new IllegalArgumentException("--ack-delay is at most 10s");
    }
    return nanos;
  }

  /** Registers the population and measures; usable against any server (the smoke test's in-process one). */
  public Result measure(ServerHandle server, WsClient client) throws Exception {
    if (!driver.equals("lean") && !driver.equals("full")) {
      throw new IllegalArgumentException("--driver is 'lean' or 'full'");
    }
    boolean delivered = completeOnDelivery();
    // Before registering: a wrong --transport should not cost the population first.
    org.parley.server.transport.Transport net = driver.equals("lean") ? SingleLoop.transport(transport) : null;
    long ackDelayNanos = nanos(ackDelay);
    if (ackDelayNanos > 0 && !driver.equals("lean")) {
      throw new IllegalArgumentException("--ack-delay needs --driver lean");
    }
    long t0 = System.nanoTime();
    List<BenchUser> population =
        new Population(server, client, new KeyPool(Math.min(64, users * devices))).register(users, devices, registerParallel);
    double registerSeconds = (System.nanoTime() - t0) / 1e9;
    System.err.printf("registered %d accounts x %d devices in %.1f s; measuring%n", users, devices, registerSeconds);
    Result result =
        driver.equals("lean")
            ? new LeanRelayRun(population, payload, rate, inFlight, maxOutstanding, delivered)
                .ackDelay(ackDelayNanos)
                .run(net, server, client.servers(), client.sourceAddresses(), warmup, duration, 200)
            : new RelayRun(population, payload, rate, inFlight, maxOutstanding, delivered).run(server, client, warmup, duration, 200);
    result.put("registration_s", Result.round(registerSeconds));
    return result;
  }
}
