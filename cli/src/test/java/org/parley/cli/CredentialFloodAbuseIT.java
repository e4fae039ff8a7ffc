package org.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
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
 * Issue 11, connections, with credentials nobody verified. A stranger can send any Authorization
 * header: garbage ones must earn no place when the server picks whom to close for room (they once
 * ranked above every silent connection, so a flood of them closed the companions waiting on their
 * provisioning sockets and the devices whose requests had not been read yet), and revoked ones
 * (verified, but as a device that is gone) must not hold connections outside the strangers' caps.
 */
class CredentialFloodAbuseIT {
  private static final int MAX_CONNECTIONS = 600;
  private static final int MAX_UNAUTHENTICATED = 200;
  private static final int PER_ADDRESS = 20;
  /** Generous: CI runs this beside other suites on two cores; what counts is that devices get through at all. */
  private static final Duration PATIENCE = Duration.ofSeconds(60);

  @TempDir Path dir;

  @Test
  void garbageOrRevokedCredentialsEarnNothingAndDevicesStillConnectSendAndReceive() throws Exception {
    try (ServerProcess server =
        ServerProcess.start(
            dir.resolve("server"),
            "--max-connections", Integer.toString(MAX_CONNECTIONS),
            "--max-unauthenticated-connections", Integer.toString(MAX_UNAUTHENTICATED),
            "--max-unauthenticated-per-address", Integer.toString(PER_ADDRESS),
            "--unauthenticated-timeout", "5s")) {
      TestDevice alice = Stranger.register(server, "+15550130001");
      TestDevice bob = Stranger.register(server, "+15550130002");
      // Registering a number again revokes its first primary: Mallory holds real, revoked credentials.
      TestDevice revoked = Stranger.register(server, "+15550130003");
      Stranger.register(server, "+15550130003");

      // Revoked credentials from one address: as many connections as any stranger gets, each closed in time.
      List<Stranger> unlinked = new ArrayList<>();
      int upgraded = 0;
      for (int i = 0; i < PER_ADDRESS + 10; i++) {
        Stranger stranger = Stranger.open(server.port(), "127.0.0.7", revoked.authorization()).patient(PATIENCE);
        unlinked.add(stranger);
        if (stranger.upgraded()) {
          upgraded++;
        } else {
          assertThat(stranger.status()).startsWith("HTTP/1.1 503");
        }
      }
      assertThat(upgraded).as("connections held with revoked credentials").isEqualTo(PER_ADDRESS);
      for (Stranger stranger : unlinked) {
        // reads until the server closes it at its 5 s deadline, or fails after PATIENCE
        if (stranger.upgraded()) {
          assertThat(stranger.readRest()).contains("this device was unlinked");
        }
        stranger.close();
      }

      // A companion showing its QR code waits on a provisioning socket from its own address.
      try (RawClient companion = RawClient.provisioning(server.url());
          RawClient bobDevice = Stranger.connect(server, bob, PATIENCE)) {
        AtomicBoolean flooding = new AtomicBoolean(true);
        AtomicInteger opened = new AtomicInteger();
        Thread flood = Thread.ofPlatform().daemon().start(() ->
            Stranger.flood(server.port(), "127.0.2.", flooding, opened, (socket, n) -> {
              if (n % 3 != 2) {
                upgrade(socket.getOutputStream(), server.port(), n % 3 == 0 ? wellFormedUnknown() : "Basic !!garbage!!");
              }
            }));
        await().atMost(Duration.ofSeconds(120)).until(() -> opened.get() > 3 * MAX_UNAUTHENTICATED);

        int attempts = 20;
        int connected = Stranger.connectionsThrough(server, alice, bob, bobDevice, attempts, PATIENCE);
        int files = Stranger.openFiles(server.pid());
        boolean companionKept = companion.isOpen();
        flooding.set(false);
        flood.join(30_000);
        System.out.printf(
            "credential flood: %,d stranger connections (garbage credentials and silent) from 20 addresses;"
                + " a device connected %d of %d times; server open files during the flood %d (cap %d)%n",
            opened.get(), connected, attempts, files, MAX_CONNECTIONS);

        assertThat(companionKept).as("the companion's provisioning socket outlived the flood").isTrue();
        assertThat(connected).as("device connections that got through the flood").isGreaterThanOrEqualTo(attempts - 1);
        assertThat(files).as("the server's open files").isLessThan(MAX_CONNECTIONS + 200);
        assertThat(bobDevice.isOpen()).isTrue();
        assertThat(bobDevice.call(Request.newBuilder().setGetKeyCounts(GetKeyCounts.getDefaultInstance()), PATIENCE).getStatus())
            .isEqualTo(Status.OK);
      }
    }
  }

  /**
   * Connections round-robin from 127.0.2.1..20, keeping the newest 2,000 open and never reading:
   * two of three send an upgrade with garbage credentials (a well-formed unknown device, or bytes
   * that are no credentials at all), the third sends nothing.
   */
  private static String wellFormedUnknown() {
    byte[] secret = new byte[32];
    java.util.concurrent.ThreadLocalRandom.current().nextBytes(secret);
    return RawClient.authorization(UUID.randomUUID(), 1, secret);
  }

  private static void upgrade(OutputStream out, int port, String authorization) throws IOException {
    out.write(
        ("GET /v1/websocket HTTP/1.1\r\nHost: 127.0.0.1:" + port
                + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
                + Base64.getEncoder().encodeToString(new byte[16])
                + "\r\nSec-WebSocket-Version: 13\r\nAuthorization: " + authorization + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }
}
