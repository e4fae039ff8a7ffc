package org.parley.server.transport;

/** Told when a session's WebSocket is open and when it has closed. */
public interface SessionListener {
  void opened(Session session);

  void closed(Session session);
}
