package org.parley.server.messages;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.time.Clock;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.parley.protocol.wire.CiphertextType;
import org.parley.protocol.wire.OutgoingMessage;
import org.parley.protocol.wire.SendMessage;
import org.parley.protocol.wire.Status;
import org.parley.server.Limits;
import org.parley.server.transport.ApiException;

/**
 * A client may send only what its Signal sessions produce: a SERVER envelope from a client would
 * forge a server notice, a SENDER_KEY one a group message past the group service, and an unknown
 * number reaches devices that cannot read it. Each is refused before anything is looked up or
 * stored (the service has no store here: reaching one would fail the test with another error).
 */
class MessageTypeTest {
  private final MessageService service =
      new MessageService(null, null, null, Clock.systemUTC(), Limits.defaults(), null, null);

  @Test
  void refusesEveryTypeButPrekeyAndWhisper() {
    for (int type : new int[] {CiphertextType.SERVER_VALUE, CiphertextType.SENDER_KEY_VALUE,
        CiphertextType.CIPHERTEXT_TYPE_UNSPECIFIED_VALUE, 77}) {
      SendMessage send =
          SendMessage.newBuilder()
              .setTimestamp(1)
              .addMessages(message(CiphertextType.WHISPER_VALUE, 1))
              .addMessages(message(type, 2))
              .build();
      assertThatThrownBy(() -> service.send(null, send))
          .isInstanceOfSatisfying(
              ApiException.class,
              e -> {
                assertThat(e.status()).isEqualTo(Status.BAD_REQUEST);
                assertThat(e.getMessage()).contains("PREKEY or WHISPER");
              });
    }
  }

  @Test
  void letsPrekeyAndWhisperThroughTheCheck() throws ApiException {
    MessageService.checkType(message(CiphertextType.PREKEY_VALUE, 1));
    MessageService.checkType(message(CiphertextType.WHISPER_VALUE, 1));
  }

  private static OutgoingMessage message(int type, int device) {
    return OutgoingMessage.newBuilder()
        .setDestinationAccount(UUID.randomUUID().toString())
        .setDestinationDevice(device)
        .setDestinationRegistrationId(7)
        .setTypeValue(type)
        .setContent(ByteString.copyFromUtf8("x"))
        .build();
  }
}
