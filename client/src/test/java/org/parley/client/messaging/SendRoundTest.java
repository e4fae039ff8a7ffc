package org.parley.client.messaging;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.parley.client.ClientException;
import org.parley.client.net.ServerConnection;
import org.parley.client.net.ServerException;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.Status;

/**
 * Retry requests and resends go out in rounds: a refusal about one target (not vouched for, its
 * identity held, its queue full) must not hold back the rest; only a lost connection or a refusal
 * of this device or of everything stops the round.
 */
class SendRoundTest {
  static ServerException refused(Status status) {
    return new ServerException(Response.newBuilder().setStatus(status).setMessage("no").build());
  }

  @Test
  void aRefusalAboutOneTargetLetsTheRoundGoOn() {
    assertThat(MessageSender.stopsTheRound(true, MessageSender.held("+15550001"))).isFalse();
    assertThat(MessageSender.stopsTheRound(true, new ClientException("UNTRUSTED", "not vouched for", null))).isFalse();
    assertThat(MessageSender.stopsTheRound(true, new ClientException("no session could be started", null))).isFalse();
    assertThat(MessageSender.stopsTheRound(true, refused(Status.NOT_FOUND))).isFalse();
    assertThat(MessageSender.stopsTheRound(true, refused(Status.QUEUE_FULL))).isFalse();
  }

  @Test
  void aLostConnectionOrAServerWideRefusalStopsIt() {
    assertThat(MessageSender.stopsTheRound(false, MessageSender.held("+15550001"))).isTrue();
    assertThat(MessageSender.stopsTheRound(true, new ClientException(ServerConnection.UNREACHABLE, "gone", null))).isTrue();
    for (Status status : new Status[] {Status.RATE_LIMITED, Status.UNAVAILABLE, Status.DRAINING, Status.UNAUTHENTICATED}) {
      assertThat(MessageSender.stopsTheRound(true, refused(status))).as(status.name()).isTrue();
    }
  }
}
