package org.parley.server.transport;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.parley.protocol.wire.Ack;
import org.parley.protocol.wire.DeviceRef;
import org.parley.protocol.wire.OutgoingMessage;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.SendMessage;
import org.parley.server.Limits;

/** The getter path for sends and acks says what the descriptor walk says, at and past every bound. */
class RequestBoundsTest {
  private final Limits limits = Limits.defaults();
  private final RequestBounds bounds = new RequestBounds(limits, 4);

  /** What the walk visits in a send and an ack (repeated, string and message fields): the fast path checks these. */
  @Test
  void theFastPathChecksEveryBoundedFieldOfASendAndAnAck() {
    assertThat(bounded(SendMessage.getDescriptor())).containsExactly("messages", "declined", "attachment_blob_ids");
    assertThat(bounded(OutgoingMessage.getDescriptor())).containsExactly("destination_account");
    assertThat(bounded(DeviceRef.getDescriptor())).containsExactly("account_id");
    assertThat(bounded(Ack.getDescriptor())).containsExactly("guids");
  }

  /** A Request's only field outside its body is its id (a number): a new one would go unbounded by the fast path. */
  @Test
  void aRequestHasNoFieldOutsideItsBodyButItsId() {
    assertThat(Request.getDescriptor().getFields().stream().filter(f -> f.getContainingOneof() == null).map(FieldDescriptor::getName))
        .containsExactly("id");
  }

  @Test
  void aSendWithinItsBoundsPassesAndOnePastAnyIsRefusedByName() {
    int max = limits.maxEnvelopesPerRequest();
    assertThat(bounds.check(send(max, 1, 1, 36))).isNull();
    assertThat(bounds.check(send(max + 1, 1, 1, 36))).startsWith("the envelopes of one send may be at most " + max);
    assertThat(bounds.check(send(1, max + 1, 1, 36))).startsWith("the declined devices of one send may be at most " + max);
    assertThat(bounds.check(send(1, 1, RequestBounds.DEFAULT_REPEATED + 1, 36))).startsWith("SendMessage.attachment_blob_ids");
    assertThat(bounds.check(send(1, 1, 1, RequestBounds.DEFAULT_STRING))).isNull();
    assertThat(bounds.check(send(1, 1, 1, RequestBounds.DEFAULT_STRING + 1))).contains("characters");
  }

  @Test
  void aLongStringOfFewCharactersIsWithinItsBound() {
    // 200 characters outside the BMP: 400 UTF-16 units, past the fast path's length test, within the bound.
    String account = "\uD83D\uDE00".repeat(200);
    Request send =
        Request.newBuilder()
            .setSendMessage(SendMessage.newBuilder().addMessages(OutgoingMessage.newBuilder().setDestinationAccount(account)))
            .build();
    assertThat(bounds.check(send)).isNull();
  }

  @Test
  void anAckWithinItsBoundPassesAndOnePastItIsRefused() {
    int max = 4 * limits.deliveryWindow();
    assertThat(bounds.check(ack(max))).isNull();
    assertThat(bounds.check(ack(max + 1))).startsWith("the envelopes of one ack may be at most " + max);
  }

  private static Request send(int messages, int declined, int blobIds, int accountLength) {
    SendMessage.Builder send = SendMessage.newBuilder();
    for (int i = 0; i < messages; i++) {
      send.addMessages(OutgoingMessage.newBuilder().setDestinationAccount("a".repeat(accountLength)).setDestinationDevice(1));
    }
    for (int i = 0; i < declined; i++) {
      send.addDeclined(DeviceRef.newBuilder().setAccountId("b".repeat(accountLength)).setDeviceId(2));
    }
    for (int i = 0; i < blobIds; i++) {
      send.addAttachmentBlobIds("blob-" + i);
    }
    return Request.newBuilder().setId(1).setSendMessage(send).build();
  }

  private static Request ack(int guids) {
    Ack.Builder ack = Ack.newBuilder();
    for (int i = 0; i < guids; i++) {
      ack.addGuids(ByteString.copyFromUtf8("guid-" + i));
    }
    return Request.newBuilder().setId(1).setAck(ack).build();
  }

  private static List<String> bounded(Descriptor type) {
    return type.getFields().stream()
        .filter(f -> f.isRepeated()
            || f.getJavaType() == FieldDescriptor.JavaType.STRING
            || f.getJavaType() == FieldDescriptor.JavaType.MESSAGE)
        .map(FieldDescriptor::getName)
        .toList();
  }
}
