package org.parley.client.messaging;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.UUID;
import org.parley.protocol.wire.CiphertextType;
import org.parley.protocol.wire.Content;
import org.parley.protocol.wire.Envelope;
import org.parley.protocol.wire.Frame;
import org.parley.protocol.wire.GroupChange;

/**
 * What a device reads from its server before and after decryption: the frame, the envelope the
 * server wrote (sender fields included), a server-authored group notice, the padding and the
 * content inside. Each step accepts or refuses; an envelope whose shape passes can be read without
 * an exception (its sender id parses), so a hostile server cannot wedge a device's receive loop.
 */
class EnvelopeFuzzTest {
  @FuzzTest(maxDuration = "30s")
  void anythingTheServerDeliversIsReadOrRefused(byte[] bytes) {
    if (bytes == null) {
      return; // the mutator's null; nothing on the wire or in a file is null
    }
    Frame frame;
    try {
      frame = Frame.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      return;
    }
    if (!frame.hasPush() || !frame.getPush().hasEnvelope()) {
      return;
    }
    Envelope envelope = frame.getPush().getEnvelope();
    if (EnvelopeShape.problem(envelope) != null) {
      return;
    }
    if (envelope.getType() == CiphertextType.SERVER) {
      try {
        GroupChange.parseFrom(envelope.getContent());
      } catch (InvalidProtocolBufferException e) {
        // shown as an unreadable notice
      }
      return;
    }
    UUID.fromString(envelope.getSourceAccount());
    byte[] plain;
    try {
      plain = Padding.unpad(envelope.getContent().toByteArray());
    } catch (IllegalArgumentException e) {
      return;
    }
    try {
      Content.parseFrom(plain);
    } catch (InvalidProtocolBufferException e) {
      // undecryptable: recorded and acked
    }
  }
}
