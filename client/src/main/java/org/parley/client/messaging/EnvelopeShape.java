package org.parley.client.messaging;

import java.util.UUID;
import org.parley.protocol.wire.CiphertextType;
import org.parley.protocol.wire.Envelope;

/**
 * What an envelope must look like before anything reads it: the server writes the sender fields,
 * and a hostile or broken server can write anything there. A malformed envelope is recorded and
 * acked with a warning, instead of failing the receive loop on every redelivery.
 */
public final class EnvelopeShape {
  private EnvelopeShape() {}

  /** Why the envelope cannot be taken in, or {@code null} when it can. */
  public static String problem(Envelope envelope) {
    if (envelope.getGuid().size() != 16) {
      return "its id is " + envelope.getGuid().size() + " bytes, not 16";
    }
    if (envelope.getType() == CiphertextType.SERVER) {
      return null;
    }
    try {
      UUID.fromString(envelope.getSourceAccount());
    } catch (IllegalArgumentException e) {
      return "its sender account '" + abbreviate(envelope.getSourceAccount()) + "' is not an account id";
    }
    if (envelope.getSourceDevice() < 1) {
      return "its sender device " + envelope.getSourceDevice() + " is not a device id";
    }
    if (envelope.getContent().isEmpty()) {
      return "it carries no ciphertext";
    }
    return null;
  }

  private static String abbreviate(String text) {
    return text.length() <= 40 ? text : text.substring(0, 40) + "...";
  }
}
