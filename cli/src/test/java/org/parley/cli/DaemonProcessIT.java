package org.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.cli.daemon.Daemon;
import org.parley.client.ClientConfig;
import org.parley.client.Device;
import org.parley.server.testing.TestServer;
import org.parley.server.testing.WithTestServer;

/** The daemon as its own process, killed with SIGKILL while messages pour in. */
@WithTestServer
class DaemonProcessIT {
  static final String ALICE = "+15550001401";
  static final String BOB = "+15550001402";
  static final int MESSAGES = 40;

  @TempDir Path dir;
  TestServer server;

  @BeforeEach
  void useServer(TestServer server) {
    this.server = server;
  }

  @Test
  void aDaemonKilledWhileReceivingLosesNothingAndRepeatsNothingInItsEventStream() throws Exception {
    Cli cli = new Cli(dir);
    for (String[] account : new String[][] {{"alice", ALICE}, {"bob", BOB}}) {
      assertThat(cli.parley(account[0], "register", "--server", server.url(), "--phone", account[1]).code()).isZero();
      assertThat(cli.parley(account[0], "verify", server.sms().codeFor(account[1])).code()).isZero();
    }
    Path bob = dir.resolve("bob");
    String token = Daemon.token(bob);
    List<String> expected = IntStream.range(0, MESSAGES).mapToObj(i -> "m" + i).toList();

    CompletableFuture<Void> sending;
    try (DaemonProcess first = DaemonProcess.start(bob);
        Device alice = Device.open(dir.resolve("alice"), ClientConfig.defaults())) {
      sending =
          CompletableFuture.runAsync(
              () -> expected.forEach(body -> alice.sendText(BOB, body)), task -> Thread.ofPlatform().start(task));
      // Watch the stream until a few have come in, then kill the daemon mid-flow.
      List<String[]> seen = RawHttp.events(first.http(), "/api/v1/events?since=0", headers(first.http(), token),
          events -> bodies(events).size() >= 8);
      assertThat(bodies(seen)).startsWith("m0");
      first.killHard();
      sending.get(120, TimeUnit.SECONDS);
    }

    try (DaemonProcess second = DaemonProcess.start(bob)) {
      List<String[]> all = RawHttp.events(second.http(), "/api/v1/events?since=0", headers(second.http(), token),
          events -> bodies(events).contains("m" + (MESSAGES - 1)));
      assertThat(bodies(all)).as("every message once, in order").containsExactlyElementsOf(expected);
      List<Long> ids = all.stream().map(e -> Long.parseLong(e[0])).toList();
      assertThat(ids).isSorted().doesNotHaveDuplicates();
    }
  }

  static Map<String, String> headers(InetSocketAddress http, String token) {
    return Map.of("Host", "127.0.0.1:" + http.getPort(), "Authorization", "Bearer " + token);
  }

  static List<String> bodies(List<String[]> events) {
    List<String> out = new ArrayList<>();
    for (String[] event : events) {
      try {
        JsonNode object = RpcClient.JSON.readTree(event[1]);
        if (object.path("type").asText().equals("message")) {
          out.add(object.path("body").asText());
        }
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }
    return out;
  }
}
