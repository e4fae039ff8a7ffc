package org.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.protocol.wire.Ack;
import org.parley.protocol.wire.Envelope;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.Status;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestDevice;

/**
 * Issue 11, disk and inboxes: one account sends large envelopes as fast as it can. A device's
 * queue holds at most so many bytes, and an account may store only so many bytes for others before
 * it must wait: the server's disk grows by about those bounds, not by the attacker's bandwidth.
 * Other accounts keep sending; the flooded device drains its queue and is reachable again.
 */
class QueueFloodAbuseIT {
  private static final int ENVELOPE = 256 * 1024;
  private static final long QUEUE_BYTES = 3L << 20;
  private static final long SENDER_BURST = 8L << 20;
  /** Messages per account at once; the byte flood below stays under it, the chatterbox does not. */
  private static final int MESSAGE_BURST = 100;

  @TempDir Path dir;

  @Test
  void anAccountFillsAtMostOneQueueBoundAndItsByteBudgetThenWaits() throws Exception {
    try (ServerProcess server =
        ServerProcess.start(
            dir.resolve("server"),
            "--max-queue-bytes", "3MiB",
            "--rate-message-bytes", "8MiB,64KiB/1s",
            "--rate-messages", MESSAGE_BURST + ",1/1m")) {
      TestDevice attacker = Stranger.register(server, "+15550150001");
      TestDevice victim = Stranger.register(server, "+15550150002");
      TestDevice other = Stranger.register(server, "+15550150003");
      TestDevice alice = Stranger.register(server, "+15550150004");
      TestDevice bob = Stranger.register(server, "+15550150005");
      TestDevice chatterbox = Stranger.register(server, "+15550150006");
      long diskBefore = size(dir.resolve("server"));
      try (RawClient flood = Stranger.connect(server, attacker);
          RawClient aliceDevice = Stranger.connect(server, alice);
          RawClient bobDevice = Stranger.connect(server, bob)) {
        int stored = 0;
        Response full = null;
        for (int i = 0; i < 40 && full == null; i++) {
          Response sent = flood.call(Stranger.message(victim, ENVELOPE));
          if (sent.getStatus() == Status.OK) {
            stored++;
          } else {
            full = sent;
          }
        }
        assertThat(full.getStatus()).isEqualTo(Status.QUEUE_FULL);
        assertThat(full.getMessage()).contains("messages waiting; it must come online first").contains("try again in 15 min");
        assertThat(full.getRetryAfterMs()).as("when to try again").isEqualTo(15 * 60_000L);
        assertThat((long) stored * ENVELOPE).as("bytes queued for the victim").isLessThanOrEqualTo(QUEUE_BYTES);

        Response limited = null;
        int more = 0;
        for (int i = 0; i < 60 && limited == null; i++) {
          Response sent = flood.call(Stranger.message(other, ENVELOPE));
          if (sent.getStatus() == Status.RATE_LIMITED) {
            limited = sent;
          } else {
            more++;
          }
        }
        assertThat(limited.getMessage()).contains("too many bytes sent; try again in");
        assertThat(limited.getRetryAfterMs()).isPositive();
        long charged = (long) (stored + 1 + more) * ENVELOPE;
        assertThat(charged).as("bytes the attacker was let through").isLessThanOrEqualTo(SENDER_BURST + 8L * ENVELOPE);

        // Others are untouched: Alice reaches Bob during the flood.
        assertThat(aliceDevice.call(Stranger.message(bob, 200)).getStatus()).isEqualTo(Status.OK);
        Stranger.awaitEnvelope(bobDevice, "during the flood");
        long diskGrowth = size(dir.resolve("server")) - diskBefore;
        System.out.printf(
            "queue flood: %d envelopes of 256 KiB queued for the victim, then QUEUE_FULL; %d more to another device,"
                + " then RATE_LIMITED (%s); server data grew %,d bytes%n",
            stored, more, limited.getMessage(), diskGrowth);
        assertThat(diskGrowth).as("server disk growth").isLessThan(SENDER_BURST + (8L << 20));

        // Messages are counted too, not only bytes: tiny ones pass the byte budget but not this one.
        try (RawClient chatter = Stranger.connect(server, chatterbox)) {
          int tiny = 0;
          Response counted = null;
          for (int i = 0; i < 2 * MESSAGE_BURST && counted == null; i++) {
            Response sent = chatter.call(Stranger.message(alice, 16));
            if (sent.getStatus() == Status.OK) {
              tiny++;
            } else {
              counted = sent;
            }
          }
          assertThat(tiny).as("tiny messages one account sent at once").isBetween(MESSAGE_BURST, MESSAGE_BURST + 2);
          assertThat(counted.getStatus()).isEqualTo(Status.RATE_LIMITED);
          assertThat(counted.getMessage()).contains("too many messages sent; try again in");
          assertThat(counted.getRetryAfterMs()).isBetween(1L, 60_000L);
        }
        assertThat(aliceDevice.call(Stranger.message(bob, 200)).getStatus()).as("alice, after").isEqualTo(Status.OK);
        Stranger.awaitEnvelope(bobDevice, "after the message flood");

        // The victim comes online, takes and acks its queue, and is reachable again.
        try (RawClient victimDevice = Stranger.connect(server, victim)) {
          for (int i = 0; i < stored; i++) {
            Envelope envelope = Stranger.awaitEnvelope(victimDevice, "queued envelope " + i);
            victimDevice.send(Request.newBuilder().setAck(Ack.newBuilder().addGuids(envelope.getGuid())));
          }
          // Acks are deleted in the background: the queue frees up soon after.
          org.awaitility.Awaitility.await()
              .atMost(java.time.Duration.ofSeconds(20))
              .pollInterval(java.time.Duration.ofMillis(200))
              .until(() -> aliceDevice.call(Stranger.message(victim, 200)).getStatus() == Status.OK);
        }
      }
    }
  }

  private static long size(Path directory) throws IOException {
    try (Stream<Path> files = Files.walk(directory)) {
      return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
    }
  }
}
