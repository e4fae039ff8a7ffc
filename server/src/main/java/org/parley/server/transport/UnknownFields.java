package org.parley.server.transport;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.util.List;
import java.util.Map;

/**
 * Finds a field this server does not know anywhere in a request (DESIGN.md §11: unknown fields are
 * refused, not silently dropped, so a client never believes the server acted on something it
 * ignored). Opaque bytes (ciphertexts) are not looked into.
 */
final class UnknownFields {
  private UnknownFields() {}

  /** The path to the first unknown field, like "Request.send_message.#17", or {@code null}. */
  static String find(Message message) {
    return find(message, message.getDescriptorForType().getName());
  }

  private static String find(Message message, String path) {
    if (!message.getUnknownFields().asMap().isEmpty()) {
      return path + ".#" + message.getUnknownFields().asMap().keySet().iterator().next();
    }
    for (Map.Entry<FieldDescriptor, Object> field : message.getAllFields().entrySet()) {
      if (field.getKey().getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        continue;
      }
      String here = path + "." + field.getKey().getName();
      if (field.getKey().isRepeated()) {
        for (Object element : (List<?>) field.getValue()) {
          String found = find((Message) element, here);
          if (found != null) {
            return found;
          }
        }
      } else {
        String found = find((Message) field.getValue(), here);
        if (found != null) {
          return found;
        }
      }
    }
    return null;
  }
}
