package org.parley.server.transport;

import org.parley.protocol.wire.Request;

/** How a device connection's transport talks to its delivery: acks in, writability changes. */
public interface DeliveryHooks {
  /** An Ack request; answered by nothing (acks are fire-and-forget). */
  void ack(Session session, Request request);

  /** The socket drained its outbound buffer and can take more pushes. */
  void writable(Session session);

  /**
   * Whether nothing pushed to this device waits for its ack. A draining server closes a connection
   * once it is settled (or after a grace), so that acks in flight are not thrown away. Called on the
   * connection's event loop.
   */
  default boolean settled(Session session) {
    return true;
  }
}
