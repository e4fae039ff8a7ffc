package org.parley.server.transport;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.parley.protocol.wire.DeviceRef;
import org.parley.protocol.wire.Frame;
import org.parley.protocol.wire.OutgoingMessage;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.SendMessage;

/**
 * Finds a field this server does not know anywhere in a request (DESIGN.md §11: unknown fields are
 * refused, not silently dropped, so a client never believes the server acted on something it
 * ignored). Opaque bytes (ciphertexts) are not looked into. Runs on every request, so it visits
 * only the fields that can hold messages, listed once per message type.
 */
final class UnknownFields {
  private static final Map<Descriptor, List<FieldDescriptor>> NESTED = new ConcurrentHashMap<>();

  private UnknownFields() {}

  /** The path to the first unknown field, like "Frame.request.request_code.#99", or {@code null}. */
  static String find(Message message) {
    if (message instanceof Frame frame && frame.getKindCase() == Frame.KindCase.REQUEST && clean(frame)) {
      return null;
    }
    return find(message, message.getDescriptorForType().getName());
  }

  /**
   * Whether a send or an ack (most requests by far) holds no unknown field, read through their
   * getters: the walk below goes through protobuf's reflection, which cost several percent of the
   * server's CPU per message. False for every other request (and for one with an unknown field),
   * which the walk then checks and names. {@code UnknownFieldsTest} fails when one of these types
   * gains a message field that this does not visit.
   */
  private static boolean clean(Frame frame) {
    Request request = frame.getRequest();
    if (!none(frame) || !none(request)) {
      return false;
    }
    switch (request.getBodyCase()) {
      case ACK -> {
        return none(request.getAck());
      }
      case SEND_MESSAGE -> {
        SendMessage send = request.getSendMessage();
        if (!none(send)) {
          return false;
        }
        for (OutgoingMessage message : send.getMessagesList()) {
          if (!none(message)) {
            return false;
          }
        }
        for (DeviceRef declined : send.getDeclinedList()) {
          if (!none(declined)) {
            return false;
          }
        }
        return true;
      }
      default -> {
        return false;
      }
    }
  }

  private static boolean none(Message message) {
    return message.getUnknownFields().asMap().isEmpty();
  }

  private static String find(Message message, String path) {
    if (!message.getUnknownFields().asMap().isEmpty()) {
      return path + ".#" + message.getUnknownFields().asMap().keySet().iterator().next();
    }
    for (FieldDescriptor field : nested(message.getDescriptorForType())) {
      if (field.isRepeated()) {
        int count = message.getRepeatedFieldCount(field);
        for (int i = 0; i < count; i++) {
          String found = find((Message) message.getRepeatedField(field, i), path + "." + field.getName());
          if (found != null) {
            return found;
          }
        }
      } else if (message.hasField(field)) {
        String found = find((Message) message.getField(field), path + "." + field.getName());
        if (found != null) {
          return found;
        }
      }
    }
    return null;
  }

  private static List<FieldDescriptor> nested(Descriptor type) {
    return NESTED.computeIfAbsent(
        type,
        t -> t.getFields().stream().filter(f -> f.getJavaType() == FieldDescriptor.JavaType.MESSAGE).toList());
  }
}
