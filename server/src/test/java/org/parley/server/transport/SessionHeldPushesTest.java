package org.parley.server.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.parley.protocol.wire.Push;
import org.parley.protocol.wire.QueueEmpty;

/**
 * Past {@link Session#MAX_HELD} pushes before the client's first frame, the close frame says what
 * the client lost and what to do, by the kind of connection (HeldPushesIT has a device's over real
 * sockets): a device lost nothing; a provisioning socket lost what was relayed to it and shows a new
 * code.
 */
class SessionHeldPushesTest {
  static final Push PUSH = Push.newBuilder().setQueueEmpty(QueueEmpty.getDefaultInstance()).build();

  @Test
  void aSilentDevicesConnectionIsToldNothingWasLost() {
    EmbeddedChannel channel = new EmbeddedChannel();
    assertClosedPastTheBound(channel, TestSessions.primary(channel), Session.HELD_TOO_MANY);
  }

  @Test
  void aSilentProvisioningSocketIsToldToShowANewCode() {
    EmbeddedChannel channel = new EmbeddedChannel();
    assertClosedPastTheBound(channel, TestSessions.provisioning(channel), Session.HELD_TOO_MANY_PROVISIONING);
    assertThat(Session.HELD_TOO_MANY_PROVISIONING).contains("scan its new code");
  }

  @Test
  void bothReasonsFitACloseFrame() {
    assertThat(Session.HELD_TOO_MANY.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(123);
    assertThat(Session.HELD_TOO_MANY_PROVISIONING.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(123);
  }

  private static void assertClosedPastTheBound(EmbeddedChannel channel, Session session, String reason) {
    for (int i = 0; i < Session.MAX_HELD; i++) {
      session.push(PUSH);
    }
    assertThat((Object) channel.readOutbound()).as("held, not written").isNull();
    assertThat(channel.isActive()).isTrue();

    session.push(PUSH);
    CloseWebSocketFrame close = channel.readOutbound();
    assertThat(close.statusCode()).isEqualTo(1013);
    assertThat(close.reasonText()).isEqualTo(reason);
    close.release();
    assertThat(channel.isActive()).isFalse();
  }
}
