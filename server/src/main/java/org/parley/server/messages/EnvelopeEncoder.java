package org.parley.server.messages;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import java.io.IOException;
import org.parley.protocol.wire.Envelope;

/**
 * Encodes the envelopes of one send: they share source and times and differ only in guid,
 * destination device, type and content. The shared fields are encoded once and copied into each
 * envelope; the bytes are exactly what {@link Envelope#toByteArray} gives for the same values
 * (fields in number order, defaults left out), without a builder and a message per device.
 */
final class EnvelopeEncoder {
  private final byte[] source; // fields 2-4
  private final byte[] times; // fields 7-8

  EnvelopeEncoder(String sourceAccount, String sourcePhone, int sourceDevice, long clientTimestamp, long serverTimestamp) {
    this.source =
        Envelope.newBuilder()
            .setSourceAccount(sourceAccount)
            .setSourcePhone(sourcePhone)
            .setSourceDevice(sourceDevice)
            .build()
            .toByteArray();
    this.times =
        Envelope.newBuilder().setClientTimestamp(clientTimestamp).setServerTimestamp(serverTimestamp).build().toByteArray();
  }

  /** @param type the ciphertext type's number, as sent (an unknown one passes through) */
  byte[] encode(byte[] guid, int destinationDevice, int type, ByteString content) {
    int size = CodedOutputStream.computeByteArraySize(Envelope.GUID_FIELD_NUMBER, guid) + source.length + times.length;
    if (destinationDevice != 0) {
      size += CodedOutputStream.computeUInt32Size(Envelope.DESTINATION_DEVICE_FIELD_NUMBER, destinationDevice);
    }
    if (type != 0) {
      size += CodedOutputStream.computeEnumSize(Envelope.TYPE_FIELD_NUMBER, type);
    }
    if (!content.isEmpty()) {
      size += CodedOutputStream.computeBytesSize(Envelope.CONTENT_FIELD_NUMBER, content);
    }
    byte[] out = new byte[size];
    CodedOutputStream stream = CodedOutputStream.newInstance(out);
    try {
      stream.writeByteArray(Envelope.GUID_FIELD_NUMBER, guid);
      stream.writeRawBytes(source);
      if (destinationDevice != 0) {
        stream.writeUInt32(Envelope.DESTINATION_DEVICE_FIELD_NUMBER, destinationDevice);
      }
      if (type != 0) {
        stream.writeEnum(Envelope.TYPE_FIELD_NUMBER, type);
      }
      stream.writeRawBytes(times);
      if (!content.isEmpty()) {
        stream.writeBytes(Envelope.CONTENT_FIELD_NUMBER, content);
      }
      stream.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out;
  }
}
