package org.parley.server.transport;

import org.parley.protocol.wire.Request;

/** How a device connection's transport talks to its delivery: acks in, writability changes. */
public interface DeliveryHooks {
  /** An Ack request; answered by nothing (acks are fire-and-forget). */
  void ack(Session session, Request request);

  /** The socket drained its outbound buffer and can take more pushes. */
  void writable(Session session);
}
