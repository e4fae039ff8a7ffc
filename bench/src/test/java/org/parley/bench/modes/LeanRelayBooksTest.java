package org.parley.bench.modes;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.parley.bench.net.ClientFrames;
import org.parley.bench.net.LeanWsLink;
import org.parley.bench.net.ServerFrames;
import org.parley.bench.population.BenchDevice;
import org.parley.bench.population.BenchUser;
import org.parley.bench.report.Result;
import org.parley.protocol.wire.Status;

/**
 * The lean driver's books against a relay that misbehaves: an envelope to a device the message was
 * not for, a second copy, one never delivered, a refused send. The driver must count each, never
 * let one stand in for a missing envelope, and call a message delivered only when every addressed
 * device has its envelope.
 */
class LeanRelayBooksTest {
  private static final int USERS = 3;
  private static final int DEVICES = 2;
  private static final long DUE = 1_000;

  private LeanRelayRun run;
  private final List<LeanWsLink> links = new ArrayList<>();

  @BeforeEach
  void books() {
    List<BenchUser> users = new ArrayList<>();
    for (int u = 0; u < USERS; u++) {
      UUID account = new UUID(0, u);
      List<BenchDevice> devices = new ArrayList<>();
      for (int d = 0; d < DEVICES; d++) {
        devices.add(new BenchDevice(account, d + 1, 100 + d, new byte[32]));
      }
      users.add(new BenchUser("+1555000000" + u, account, devices));
    }
    // Open loop (a rate): arrivals do not issue new sends, so the books can be read as they stand.
    run = new LeanRelayRun(users, 64, 1, 1, 1000, true);
    run.measureBetween(0, Long.MAX_VALUE);
    for (int i = 0; i < USERS * DEVICES; i++) {
      links.add(new LeanWsLink(i, URI.create("ws://127.0.0.1:1/v1/websocket"), null,
          new ClientFrames(new SplittableRandom()), new ServerFrames(), run));
    }
  }

  @Test
  void countsOnlyEnvelopesOwedToTheDeviceThatGotThemAndNoSecondCopy() {
    long seq = run.open(0, 0, 1, DUE);
    run.response(link(0, 0), seq << 1, Status.OK_VALUE, 3);

    arrive(seq, 1, 0);
    arrive(seq, 1, 0); // a second copy
    arrive(seq, 2, 0); // a user the message was not for
    arrive(seq, 0, 0); // back to the device that sent it
    assertThat(result().get("messages_delivered_per_s")).as("one of three owed envelopes arrived").isEqualTo(0.0);

    arrive(seq, 1, 1);
    arrive(seq, 0, 1);
    Result result = result();
    assertThat(result.get("envelopes_unexpected")).isEqualTo(3L);
    assertThat(result.get("envelopes_lost")).isEqualTo(0L);
    assertThat(result.get("messages_delivered_per_s")).isEqualTo(1.0);
    assertThat(result.get("envelopes_delivered_per_s")).isEqualTo(3.0);
  }

  @Test
  void anEnvelopeNeverDeliveredIsLostHoweverManyCopiesOfTheOthersArrive() {
    long seq = run.open(2, 1, 0, DUE);
    run.response(link(2, 1), seq << 1, Status.OK_VALUE, 3);
    arrive(seq, 0, 0);
    arrive(seq, 0, 1);
    arrive(seq, 0, 1);

    Result result = result();
    assertThat(result.get("envelopes_lost")).isEqualTo(1L);
    assertThat(result.get("messages_delivered_per_s")).isEqualTo(0.0);
  }

  @Test
  void anEnvelopeWithAnotherMessagesDueTimeDoesNotCount() {
    long seq = run.open(0, 1, 2, DUE);
    arrive(seq, DUE + 1, 2, 0);

    assertThat(result().get("envelopes_unexpected")).isEqualTo(1L);
  }

  @Test
  void aRefusedSendIsCountedByItsStatusAndOwesNothing() {
    long seq = run.open(1, 0, 2, DUE);
    run.response(link(1, 0), seq << 1, Status.RATE_LIMITED_VALUE, 0);
    arrive(seq, 2, 0);

    Result result = result();
    @SuppressWarnings("unchecked")
    Map<String, Long> errors = (Map<String, Long>) result.get("errors");
    assertThat(errors).containsEntry("RATE_LIMITED", 1L);
    assertThat(result.get("envelopes_unexpected")).isEqualTo(1L);
    assertThat(result.get("messages_committed")).isEqualTo(0L);
  }

  @Test
  void envelopesPushedBeforeTheirCommitCountOnlyOnceTheSendIsAnsweredOk() {
    long kept = run.open(0, 0, 1, DUE);
    arrive(kept, 1, 0);
    arrive(kept, 1, 1);
    arrive(kept, 0, 1);
    assertThat(result().get("envelopes_delivered_per_s")).as("not answered yet").isEqualTo(0.0);
    run.response(link(0, 0), kept << 1, Status.OK_VALUE, 3);
    assertThat(result().get("envelopes_delivered_per_s")).isEqualTo(3.0);
    assertThat(result().get("messages_delivered_per_s")).isEqualTo(1.0);
    assertThat(deliveryCount(result())).as("their latencies count from the OK answer on").isEqualTo(3L);

    long refused = run.open(1, 0, 2, DUE);
    arrive(refused, 2, 0);
    arrive(refused, 2, 1);
    run.response(link(1, 0), refused << 1, Status.INTERNAL_VALUE, 0);

    Result result = result();
    assertThat(result.get("envelopes_delivered_per_s")).as("a refused send's envelopes are not deliveries").isEqualTo(3.0);
    assertThat(result.get("envelopes_lost")).isEqualTo(0L);
    assertThat(deliveryCount(result)).as("nor are their latencies").isEqualTo(3L);
    @SuppressWarnings("unchecked")
    Map<String, Long> errors = (Map<String, Long>) result.get("errors");
    assertThat(errors).containsEntry("INTERNAL", 1L).containsEntry("envelopes_delivered_but_refused", 2L);
  }

  private static Object deliveryCount(Result result) {
    return ((Map<?, ?>) result.get("submit_to_delivered_ms")).get("count");
  }

  private void arrive(long seq, int user, int device) {
    arrive(seq, DUE, user, device);
  }

  private void arrive(long seq, long due, int user, int device) {
    ByteBuf content = Unpooled.buffer().writeBytes(new byte[5]).writeLong(due).writeLong(seq).writeBytes(new byte[48]);
    run.envelope(link(user, device), content, 5, 64);
  }

  private LeanWsLink link(int user, int device) {
    return links.get(user * DEVICES + device);
  }

  private Result result() {
    return run.result(1.0);
  }
}
