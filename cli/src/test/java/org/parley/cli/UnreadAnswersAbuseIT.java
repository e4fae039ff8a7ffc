package org.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.protocol.wire.DeviceKind;
import org.parley.protocol.wire.DeviceList;
import org.parley.protocol.wire.DeviceListEntry;
import org.parley.protocol.wire.GetDevices;
import org.parley.protocol.wire.PutDeviceList;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.Status;
import org.parley.protocol.DeviceListSignatures;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestDevice;

/**
 * Issue 11, memory: an account asks for answers on two connections and never reads them. The
 * server stops reading a connection once about 1 MiB of answers waits for it, so its memory stays
 * flat while a legitimate device goes on sending and receiving. Before back-pressure the same
 * attack grew the server by 2.5 GB in seconds.
 */
class UnreadAnswersAbuseIT {
  private static final long MAX_GROWTH = 100L * 1024 * 1024;
  /** Requests each attacking connection tries to write: unbounded, their answers would be ~500 MB. */
  private static final int REQUESTS = 1_500_000;

  @TempDir Path dir;

  @Test
  void answersThatAreNeverReadCostTheServerAboutAMebibytePerConnection() throws Exception {
    try (ServerProcess server = ServerProcess.start(dir.resolve("server"))) {
      TestDevice attacker = Stranger.register(server, "+15550110001");
      TestDevice alice = Stranger.register(server, "+15550110002");
      TestDevice bob = Stranger.register(server, "+15550110003");
      try (RawClient attackerDevice = Stranger.connect(server, attacker)) {
        // The first step of the original attack: a device name of 2,000,000 characters. Refused now.
        Response huge =
            attackerDevice.call(
                Request.newBuilder()
                    .setPutDeviceList(
                        PutDeviceList.newBuilder()
                            .setDeviceList(
                                DeviceListSignatures.sign(
                                    DeviceList.newBuilder()
                                        .setAccountId(attacker.account().toString())
                                        .setVersion(1)
                                        .setIssuedAt(System.currentTimeMillis())
                                        .addEntries(
                                            DeviceListEntry.newBuilder()
                                                .setDeviceId(1)
                                                .setIdentityKey(ByteString.copyFrom(attacker.keys().identityKey()))
                                                .setAddedAt(System.currentTimeMillis())
                                                .setKind(DeviceKind.PHONE)
                                                .setName("x".repeat(200_000)))
                                        .build(),
                                    attacker.keys().identity()))));
        assertThat(huge.getStatus()).isNotEqualTo(Status.OK);
        assertThat(huge.getMessage()).contains("64 characters");
      }
      try (RawClient aliceDevice = Stranger.connect(server, alice);
          RawClient bobDevice = Stranger.connect(server, bob)) {
        exchange(aliceDevice, bobDevice, bob, "warm-up");
        long before = Stranger.rss(server.pid());

        List<Stranger> attackers = new ArrayList<>();
        List<Thread> writers = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
          Stranger stranger = Stranger.open(server.port(), "127.0.0.1", attacker.authorization());
          assertThat(stranger.upgraded()).as(stranger.status()).isTrue();
          attackers.add(stranger);
          writers.add(Thread.ofPlatform().daemon().start(() -> flood(stranger)));
        }
        // The writers stall once the server stops reading them (or finish, if it never did).
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(2)).until(() -> stalled(attackers));
        long during = Stranger.rss(server.pid());
        exchange(aliceDevice, bobDevice, bob, "during the attack");
        long sent = attackers.stream().mapToLong(s -> s.written.get()).sum();
        System.out.printf(
            "unread answers: %,d requests written on 2 connections before the server stopped reading; server RSS %+,d bytes%n",
            sent, during - before);

        assertThat(sent).as("the server stopped reading long before taking every request").isLessThan(2L * REQUESTS);
        assertThat(during - before).as("server memory growth during the flood").isLessThan(MAX_GROWTH);
        for (Stranger stranger : attackers) {
          stranger.close();
        }
        for (Thread writer : writers) {
          writer.join(10_000);
        }
        exchange(aliceDevice, bobDevice, bob, "after the attack");
      }
    }
  }

  private long lastTotal = -1;

  private boolean stalled(List<Stranger> attackers) {
    long total = attackers.stream().mapToLong(s -> s.written.get()).sum();
    boolean still = total == lastTotal;
    lastTotal = total;
    return still;
  }

  private static void flood(Stranger stranger) {
    try {
      stranger.hello();
      Request.Builder ask = Request.newBuilder().setGetDevices(GetDevices.getDefaultInstance());
      for (int id = 1; id <= REQUESTS; id++) {
        stranger.send(ask.setId(id));
      }
    } catch (java.io.IOException e) {
      // closed by the test once it has measured
    }
  }

  /** Alice sends Bob a message and Bob's connection receives it. */
  private static void exchange(RawClient from, RawClient toConnection, TestDevice to, String when) {
    Response sent = from.call(Stranger.message(to, 64));
    assertThat(sent.getStatus()).as("a legitimate send " + when).isEqualTo(Status.OK);
    Stranger.awaitEnvelope(toConnection, "delivered " + when);
  }
}
