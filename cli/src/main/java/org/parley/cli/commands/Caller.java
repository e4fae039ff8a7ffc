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

  /**
   * Whether the call comes from the profile's owner: the command line run on the profile, or the
   * profile's own control socket (mode 0600, the peer's user checked). Only the owner may name files
   * on this machine ({@code send}'s attachments, {@code getAttachment}'s {@code out}): a token for
   * TCP or HTTP, or a web session, is a key to the messenger, not to every file the user can read.
   * No by default, so a new way in is refused until it says otherwise.
   */
  default boolean owner() {
    return false;
  }

  /** {@code caller}, vouched for as the profile's owner (see {@link #owner()}). */
  static Caller asOwner(Caller caller) {
    return new Caller() {
      @Override
      public void event(LoggedEvent event) {
        caller.event(event);
      }

      @Override
      public void live(ClientEvent event) {
        caller.live(event);
      }

      @Override
      public boolean streams() {
        return caller.streams();
      }

      @Override
      public boolean owner() {
        return true;
      }
    };
  }
}
