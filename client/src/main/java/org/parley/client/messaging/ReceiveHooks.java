package org.parley.client.messaging;

import org.parley.protocol.wire.Envelope;

/**
 * Points in taking an envelope in where tests simulate a crash: after decrypting but before the
 * local commit, and after the commit but before the ack. Production uses {@link #NONE}.
 */
public interface ReceiveHooks {
  ReceiveHooks NONE = new ReceiveHooks() {};

  /** Decrypted and applied, inside the not yet committed transaction. */
  default void decrypted(Envelope envelope) {}

  /** Committed locally; the ack has not been sent. */
  default void committed(Envelope envelope) {}
}
