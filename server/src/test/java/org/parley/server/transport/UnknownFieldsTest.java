package org.parley.server.transport;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.UnknownFieldSet;
import org.junit.jupiter.api.Test;
import org.parley.protocol.wire.Ack;
import org.parley.protocol.wire.DeviceRef;
import org.parley.protocol.wire.Frame;
import org.parley.protocol.wire.OutgoingMessage;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.SendMessage;

class UnknownFieldsTest {
  private static final UnknownFieldSet FIELD_99 =
      UnknownFieldSet.newBuilder().addField(99, UnknownFieldSet.Field.newBuilder().addVarint(1).build()).build();

  /** The getter walk for sends and acks visits these message fields and no others. */
  @Test
  void theFastPathVisitsEveryMessageFieldOfASendAndAnAck() {
    assertThat(messageFields(SendMessage.getDescriptor())).containsExactly("messages", "declined");
    assertThat(messageFields(OutgoingMessage.getDescriptor())).isEmpty();
    assertThat(messageFields(DeviceRef.getDescriptor())).isEmpty();
    assertThat(messageFields(Ack.getDescriptor())).isEmpty();
  }

  /** Nothing outside the oneofs the fast path reads: a new field there would go unchecked. */
  @Test
  void aFrameAndARequestHaveNoMessageFieldOutsideTheirBodies() {
    assertThat(Frame.getDescriptor().getFields()).allMatch(f -> f.getContainingOneof() != null);
    assertThat(Request.getDescriptor().getFields().stream().filter(f -> f.getContainingOneof() == null).map(FieldDescriptor::getName))
        .containsExactly("id");
  }

  @Test
  void aCleanSendAndAnAckHaveNone() {
    assertThat(UnknownFields.find(send(OutgoingMessage.newBuilder(), DeviceRef.newBuilder()))).isNull();
    assertThat(UnknownFields.find(frame(Request.newBuilder().setAck(Ack.newBuilder().addGuids(ByteString.copyFromUtf8("g")))))).isNull();
  }

  @Test
  void anUnknownFieldAnywhereInASendIsFoundAndNamed() {
    assertThat(UnknownFields.find(send(OutgoingMessage.newBuilder().setUnknownFields(FIELD_99), DeviceRef.newBuilder())))
        .isEqualTo("Frame.request.send_message.messages.#99");
    assertThat(UnknownFields.find(send(OutgoingMessage.newBuilder(), DeviceRef.newBuilder().setUnknownFields(FIELD_99))))
        .isEqualTo("Frame.request.send_message.declined.#99");
    assertThat(UnknownFields.find(frame(Request.newBuilder().setSendMessage(SendMessage.newBuilder().setUnknownFields(FIELD_99)))))
        .isEqualTo("Frame.request.send_message.#99");
    assertThat(UnknownFields.find(frame(Request.newBuilder().setAck(Ack.newBuilder().setUnknownFields(FIELD_99)))))
        .isEqualTo("Frame.request.ack.#99");
    assertThat(UnknownFields.find(frame(Request.newBuilder().setAck(Ack.getDefaultInstance()).setUnknownFields(FIELD_99))))
        .isEqualTo("Frame.request.#99");
  }

  private static Frame send(OutgoingMessage.Builder message, DeviceRef.Builder declined) {
    return frame(
        Request.newBuilder()
            .setSendMessage(
                SendMessage.newBuilder()
                    .addMessages(OutgoingMessage.newBuilder().setDestinationDevice(1))
                    .addMessages(message.setDestinationDevice(2))
                    .addDeclined(declined.setDeviceId(3))));
  }

  private static Frame frame(Request.Builder request) {
    return Frame.newBuilder().setRequest(request.setId(1)).build();
  }

  private static java.util.List<String> messageFields(Descriptor type) {
    return type.getFields().stream()
        .filter(f -> f.getJavaType() == FieldDescriptor.JavaType.MESSAGE)
        .map(FieldDescriptor::getName)
        .toList();
  }
}
