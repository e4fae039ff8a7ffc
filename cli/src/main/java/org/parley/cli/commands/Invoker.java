package org.parley.cli.commands;

/**
 * Runs handlers for a command: on the device in this process (standalone), or by JSON-RPC on the
 * daemon that holds the profile. A command calls one handler, or a few in turn ({@code link}).
 */
public interface Invoker {
  <P, R> R call(Handler<P, R> handler, P params);
}
