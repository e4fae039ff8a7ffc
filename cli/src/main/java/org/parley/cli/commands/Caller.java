package org.parley.cli.commands;

import org.parley.client.events.ClientEvent;
import org.parley.client.events.LoggedEvent;

/**
 * Whoever called a handler, for what it hands on while it runs (before its result): the events
 * {@code receive} takes from the log, the progress of a history import. On the command line they
 * are printed as they come; over a JSON-RPC connection they go out as notifications.
 */
public interface Caller {
  Caller NONE =
      new Caller() {
        @Override
        public void event(LoggedEvent event) {}

        @Override
        public void live(ClientEvent event) {}

        @Override
        public boolean streams() {
          return false;
        }
      };

  /** An event from the profile's event log. */
  void event(LoggedEvent event);

  /** Something to show at once and not keep (a progress step, a warning during a command). */
  void live(ClientEvent event);

  /** Whether what is handed on reaches anyone (not over HTTP: events are read from the SSE stream). */
  default boolean streams() {
    return true;
  }
}
