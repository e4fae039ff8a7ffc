package org.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.protocol.wire.Ack;
import org.parley.protocol.wire.Envelope;
import org.parley.protocol.wire.Push;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.Status;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestDevice;

/**
 * {@code parley server --ack-hold}, end to end: a real server process, real sockets, devices that ack
 * when the test says so. The hold decides whether an envelope pushed before its commit waits for its
 * device's ack (and is then never written) or is written at once; either way "sent" means on disk or
 * acked by the device.
 */
class AckHoldIT {
  private static final Pattern COMMITTED = Pattern.compile("(?m)^parley_envelopes_committed_total(?:\\{[^}]*\\})? ([0-9.eE+-]+)$");

  @TempDir Path dir;

  @Test
  void aLongHoldWaitsForTheDevicesAckAndThenWritesNothing() throws Exception {
    try (ServerProcess server = ServerProcess.start(dir.resolve("server"), "--ack-hold", "10s")) {
      TestDevice alice = Stranger.register(server, "+15550160001");
      TestDevice bob = Stranger.register(server, "+15550160002");
      TestDevice carol = Stranger.register(server, "+15550160005");
      try (RawClient aliceDevice = Stranger.connect(server, alice);
          RawClient bobDevice = caughtUp(server, bob)) {
        long id = aliceDevice.send(Stranger.message(bob, 100));
        Envelope pushed = Stranger.awaitEnvelope(bobDevice, "the envelope, before its commit");
        CompletableFuture<Response> sent = CompletableFuture.supplyAsync(() -> aliceDevice.response(id));
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> !sent.isDone());

        bobDevice.send(Request.newBuilder().setAck(Ack.newBuilder().addGuids(pushed.getGuid())));

        assertThat(sent.get().getStatus()).as("'sent' once the device acked").isEqualTo(Status.OK);
        // Carol is offline: her envelope is written, after Bob's in commit order, whose count comes first.
        assertThat(aliceDevice.call(Stranger.message(carol, 100)).getStatus()).isEqualTo(Status.OK);
        await().atMost(Duration.ofSeconds(10)).until(() -> committed(server) >= 1);
        assertThat(committed(server)).as("envelopes written: Carol's, not the one Bob acked first").isEqualTo(1);
      }
    }
  }

  @Test
  void noHoldWritesTheEnvelopeBeforeSentThoughTheDeviceNeverAcks() throws Exception {
    try (ServerProcess server = ServerProcess.start(dir.resolve("server"), "--ack-hold", "0")) {
      TestDevice alice = Stranger.register(server, "+15550160003");
      TestDevice bob = Stranger.register(server, "+15550160004");
      Envelope pushed;
      try (RawClient aliceDevice = Stranger.connect(server, alice);
          RawClient bobDevice = caughtUp(server, bob)) {
        Response sent = aliceDevice.call(Stranger.message(bob, 100));
        assertThat(sent.getStatus()).isEqualTo(Status.OK);
        pushed = Stranger.awaitEnvelope(bobDevice, "the envelope");
        await().atMost(Duration.ofSeconds(10)).until(() -> committed(server) == 1);
      }
      // "Sent" meant on disk: it survives a kill -9 and comes again to Bob, who never acked it.
      server.killHard();
      server.start();
      try (RawClient bobDevice = Stranger.connect(server, bob)) {
        assertThat(Stranger.awaitEnvelope(bobDevice, "the envelope after the restart").getGuid()).isEqualTo(pushed.getGuid());
      }
    }
  }

  /** Bob's receiving connection once its queue is read (an envelope then goes out before its commit). */
  private static RawClient caughtUp(ServerProcess server, TestDevice device) {
    RawClient client = Stranger.connect(server, device);
    for (int i = 0; i < 5; i++) {
      Push push = client.nextPush();
      if (push.hasQueueEmpty()) {
        return client;
      }
    }
    client.close();
    throw new AssertionError("no queue-empty push");
  }

  /** parley.envelopes.committed from the server's admin listener. */
  private static long committed(ServerProcess server) throws Exception {
    String admin =
        server.output().stream()
            .filter(l -> l.startsWith("admin on "))
            .map(l -> l.substring("admin on ".length()).split(" ")[0])
            .findFirst()
            .orElseThrow();
    try (HttpClient http = HttpClient.newHttpClient()) {
      String scrape =
          http.send(HttpRequest.newBuilder(URI.create(admin + "/metrics")).build(), HttpResponse.BodyHandlers.ofString())
              .body();
      Matcher m = COMMITTED.matcher(scrape);
      if (!m.find()) {
        throw new AssertionError("no parley_envelopes_committed_total in the scrape");
      }
      return (long) Double.parseDouble(m.group(1));
    }
  }
}
