package org.parley.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.parley.bench.modes.ConnectionsMode;
import org.parley.bench.modes.DrainMode;
import org.parley.bench.modes.RelayMode;
import org.parley.bench.net.WsClient;
import org.parley.bench.report.Result;
import org.parley.bench.server.InProcessServer;
import org.parley.server.transport.Transport;
import picocli.CommandLine;

/**
 * Runs every mode for about a second against an in-process relay, so that a protocol or server
 * change that breaks the bench shows up in the build instead of on benchmark day. No figures.
 */
class BenchModesIT {
  @TempDir Path dir;
  InProcessServer server;
  WsClient client;

  @BeforeEach
  void start() throws InterruptedException {
    server = new InProcessServer(dir);
    client = new WsClient(URI.create(server.url()), 1, List.of());
  }

  @AfterEach
  void stop() {
    client.close();
    server.close();
  }

  @Test
  void relayDeliversEveryCommittedEnvelopeToEveryDevice() throws Exception {
    // Enough accounts that the shipped per-account message rate (a burst of 1,000) never refuses a
    // send however fast this machine relays: 4 accounts did, once delivery stopped waiting for the fsync.
    RelayMode relay = parse(new RelayMode(), "--users", "40", "--devices", "3", "--warmup", "0.3", "--duration", "1", "--in-flight", "16");
    Result result = relay.measure(server, client);

    assertThat((Long) result.get("envelopes_committed")).isPositive();
    assertThat(result.get("envelopes_lost")).isEqualTo(0L);
    assertThat(result.get("envelopes_per_message")).isEqualTo(5);
    assertThat((Map<?, ?>) result.get("errors")).isEmpty();
    assertThat(result.json()).contains("\"submit_to_delivered_ms\"");
  }

  /** On each socket API the generator can run on: io_uring submits and completes reads and writes unlike the others. */
  @ParameterizedTest
  @ValueSource(strings = {"io_uring", "epoll", "nio"})
  void leanDriverDeliversEveryEnvelopeToTheDeviceItWasFor(String transport) throws Exception {
    assumeTrue(Transport.valueOf(transport.toUpperCase(Locale.ROOT)).available(), transport + " is not available on this machine");
    Result result = deliveredRun("lean", 3, "--transport", transport);

    assertThat(result.get("transport")).isEqualTo(transport);
    assertThat(result.get("envelopes_unexpected")).isEqualTo(0L);
    assertThat((Map<?, ?>) result.get("errors")).isEmpty();
    assertThat((Double) result.get("messages_delivered_per_s")).isPositive();
    assertThat(result.json()).contains("\"client_cpu_pct\"", "\"client_cpu_over_limit\"", "\"server_cpu_pct\"");
    assertThat((Double) result.get("client_cpu_ms_per_1000_msgs")).isPositive();
  }

  @Test
  void anUnknownTransportIsRefusedBeforeAnyoneRegisters() {
    RelayMode relay = parse(new RelayMode(), "--users", "2", "--devices", "1", "--driver", "lean", "--transport", "kqueue");

    assertThatThrownBy(() -> relay.measure(server, client))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("kqueue")
        .hasMessageContaining("auto, io_uring, epoll or nio");
  }

  /**
   * Devices that ack 1 ms after each read (as after their own commit) run against a real server and
   * get everything. A second stays inside the delivery window, so this would pass with acks never
   * sent; LeanWsLinkTest checks the delayed ack itself.
   */
  @Test
  void leanDriverWithAnAckDelayDeliversEverything() throws Exception {
    Result result = deliveredRun("lean", 2, "--ack-delay", "1ms");

    assertThat(result.get("ack_delay_ms")).isEqualTo(1.0);
    assertThat((Double) result.get("messages_delivered_per_s")).isPositive();
  }

  @Test
  void fullDriverStillRuns() throws Exception {
    deliveredRun("full", 2);
  }

  /**
   * A second's relay run of 40 accounts with {@code devices} each, complete once delivered, by the
   * named driver (and {@code more} options): it ran that driver, committed envelopes and lost none.
   * The result, for the test's own checks.
   */
  private Result deliveredRun(String driver, int devices, String... more) throws Exception {
    List<String> args = new java.util.ArrayList<>(List.of("--users", "40", "--devices", Integer.toString(devices),
        "--warmup", "0.3", "--duration", "1", "--in-flight", "16", "--complete-on", "delivered", "--driver", driver));
    args.addAll(List.of(more));
    Result result = parse(new RelayMode(), args.toArray(String[]::new)).measure(server, client);

    assertThat(result.get("driver").toString()).startsWith(driver);
    assertThat((Long) result.get("envelopes_committed")).isPositive();
    assertThat(result.get("envelopes_lost")).isEqualTo(0L);
    return result;
  }

  @Test
  void openLoopRelayKeepsItsRate() throws Exception {
    RelayMode relay = parse(new RelayMode(), "--users", "3", "--devices", "1", "--warmup", "0.2", "--duration", "1", "--rate", "50");
    Result result = relay.measure(server, client);

    assertThat((Long) result.get("messages_committed")).isBetween(40L, 60L);
    assertThat(result.get("envelopes_lost")).isEqualTo(0L);
  }

  @Test
  void connectionsHoldsEveryDevice() throws Exception {
    ConnectionsMode connections = parse(new ConnectionsMode(), "--devices", "20", "--hold", "0.2");
    Result result = connections.measure(server, client);

    assertThat(result.get("still_open_after_hold")).isEqualTo(20L);
  }

  @Test
  void drainTakesTheWholeQueue() throws Exception {
    DrainMode drain = parse(new DrainMode(), "--envelopes", "300", "--rounds", "2");
    Result result = drain.measure(server, client);

    // Every round counts its own 300 (a round that missed one would time out and fail the run).
    assertThat((List<?>) result.get("drain_ms")).hasSize(2);
  }

  @Test
  void linkTimesACompanionUntilItsFirstMessage() throws Exception {
    var link = parse(new org.parley.bench.modes.DeviceModes.Link(), "--rounds", "1");
    Result result = link.measure(server);

    assertThat((List<?>) result.get("add_device_to_first_send_ms")).hasSize(1);
  }

  @Test
  void historyHandsTheWholeHistoryToTheCompanion() throws Exception {
    var history = parse(new org.parley.bench.modes.DeviceModes.History(), "--messages", "500", "--chats", "10");
    Result result = history.measure(server);

    assertThat(result.get("complete")).isEqualTo(true);
    assertThat(result.get("messages_on_companion")).isEqualTo(500L);
    assertThat(result.get("phases_complete")).isEqualTo(true);
    assertThat(result.get("import_0_ms")).isNotNull();
    assertThat(result.get("import_heap_after_gc_max_mb")).isNotNull();
  }

  private static <T> T parse(T command, String... args) {
    new CommandLine(command).parseArgs(args);
    return command;
  }
}
