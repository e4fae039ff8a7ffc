package org.parley.server.transport;

import java.util.List;

/** Tells every subsystem that cares about a session's opening and closing. */
public final class CompositeSessionListener implements SessionListener {
  private final List<SessionListener> listeners;

  public CompositeSessionListener(List<SessionListener> listeners) {
    this.listeners = List.copyOf(listeners);
  }

  @Override
  public void opened(Session session) {
    listeners.forEach(l -> l.opened(session));
  }

  @Override
  public void closed(Session session) {
    listeners.forEach(l -> l.closed(session));
  }
}
