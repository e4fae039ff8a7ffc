package org.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.protocol.wire.GetKeyCounts;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.Status;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestDevice;

/**
 * Issue 11, connections: strangers open connections and never speak. Per address they get only so
 * many, each is closed after a short while without credentials, and a flood from many addresses
 * only evicts strangers: the server stays under its connection cap, and linked devices
 * keep their connections and can open new ones throughout.
 */
class ConnectionFloodAbuseIT {
  private static final int MAX_CONNECTIONS = 600;
  private static final int MAX_UNAUTHENTICATED = 200;
  private static final int PER_ADDRESS = 20;
  /**
   * How long the legitimate devices wait for each step. Generous on purpose: CI runs this beside
   * other suites on two cores, and what the test proves is what strangers may hold and that the
   * devices get through at all, not how fast a starved machine answers.
   */
  private static final Duration PATIENCE = Duration.ofSeconds(60);

  @TempDir Path dir;

  @Test
  void strangersGetFewConnectionsShortLivedAndNeverTheOnesDevicesNeed() throws Exception {
    try (ServerProcess server =
        ServerProcess.start(
            dir.resolve("server"),
            "--max-connections", Integer.toString(MAX_CONNECTIONS),
            "--max-unauthenticated-connections", Integer.toString(MAX_UNAUTHENTICATED),
            "--max-unauthenticated-per-address", Integer.toString(PER_ADDRESS),
            "--unauthenticated-timeout", "5s")) {
      TestDevice alice = Stranger.register(server, "+15550120001");
      TestDevice bob = Stranger.register(server, "+15550120002");

      // One address: PER_ADDRESS connections, then HTTP 503 with a Retry-After and a sentence.
      List<Socket> mine = new ArrayList<>();
      for (int i = 0; i < PER_ADDRESS + 10; i++) {
        mine.add(silent(server.port(), "127.0.0.9"));
      }
      await().atMost(PATIENCE).until(() -> answered(mine) == 10);
      List<String> refusals = new ArrayList<>();
      for (Socket socket : mine) {
        if (socket.getInputStream().available() > 0) {
          refusals.add(new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1));
        }
      }
      assertThat(refusals).hasSize(10).allSatisfy(r -> assertThat(r)
          .startsWith("HTTP/1.1 503")
          .contains("Retry-After: 10")
          .contains("too many connections without credentials from your address"));
      // The admitted ones said nothing: each is closed once the timeout passes.
      await().atMost(PATIENCE).until(() -> closedByPeer(mine) == mine.size());
      for (Socket socket : mine) {
        socket.close();
      }
      // An upgraded WebSocket without credentials is closed too, though it answers pings.
      try (RawClient anonymous = RawClient.anonymous(server.url())) {
        // 1008 with the reason; the JDK client reports -1 when the TCP close overtakes its reply
        assertThat(anonymous.awaitClose(PATIENCE).status()).isIn(1008, -1);
        assertThat(anonymous.isOpen()).isFalse();
      }

      try (RawClient bobDevice = Stranger.connect(server, bob, PATIENCE)) {
        // Many addresses: more idle connections than the server lets strangers hold in all.
        AtomicBoolean flooding = new AtomicBoolean(true);
        AtomicInteger opened = new AtomicInteger();
        Thread flood = Thread.ofPlatform().daemon().start(() ->
            Stranger.flood(server.port(), "127.0.1.", flooding, opened, (socket, n) -> {}));
        await().atMost(Duration.ofSeconds(120)).until(() -> opened.get() > 2 * MAX_UNAUTHENTICATED);

        int attempts = 20;
        int connected = Stranger.connectionsThrough(server, alice, bob, bobDevice, attempts, PATIENCE);
        int files = Stranger.openFiles(server.pid());
        flooding.set(false);
        flood.join(30_000);
        System.out.printf(
            "connection flood: %,d stranger connections opened from 20 addresses; a device connected %d of %d times;"
                + " server open files during the flood %d (cap %d)%n",
            opened.get(), connected, attempts, files, MAX_CONNECTIONS);

        assertThat(connected).as("device connections that got through the flood").isGreaterThanOrEqualTo(attempts - 1);
        assertThat(files).as("the server's open files").isLessThan(MAX_CONNECTIONS + 200);
        assertThat(bobDevice.isOpen()).isTrue();
        assertThat(bobDevice.call(Request.newBuilder().setGetKeyCounts(GetKeyCounts.getDefaultInstance()), PATIENCE).getStatus())
            .isEqualTo(Status.OK);
      }
    }
  }

  private static Socket silent(int port, String source) throws java.io.IOException {
    Socket socket = new Socket();
    socket.bind(new InetSocketAddress(InetAddress.getByName(source), 0));
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    return socket;
  }

  private static int answered(List<Socket> sockets) throws java.io.IOException {
    int n = 0;
    for (Socket socket : sockets) {
      if (socket.getInputStream().available() > 0) {
        n++;
      }
    }
    return n;
  }

  private static int closedByPeer(List<Socket> sockets) {
    int n = 0;
    for (Socket socket : sockets) {
      try {
        socket.setSoTimeout(1);
        if (socket.getInputStream().read() == -1) {
          n++;
        } else {
          n += socket.getInputStream().readAllBytes().length >= 0 ? 1 : 0;
        }
      } catch (java.net.SocketTimeoutException e) {
        // still open
      } catch (java.io.IOException e) {
        n++;
      }
    }
    return n;
  }

  /** Opens silent TCP connections round-robin from 127.0.1.1..20, keeping the newest 2,000 open. */
}
